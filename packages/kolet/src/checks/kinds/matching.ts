import { goSprint } from '../go/go-format.js';
import type { CheckContext } from '../context.js';
import type { MatchingProps } from '../types.js';
import type { ResourceRun } from '../validate-value.js';

/**
 * goss's `matching`: a value written in the spec (usually from a template) checked against a
 * matcher — as it is, or with `as-reader: true` as text matched line by line.
 */
export async function checkMatching(
  run: ResourceRun,
  _id: string,
  props: MatchingProps,
  _ctx: CheckContext,
): Promise<void> {
  const content = props.content === undefined ? null : props.content;
  await run.check('matches', props.matches, () => (props['as-reader'] ? goSprint(content) : content), {
    reader: props['as-reader'] === true,
  });
}
