import { InputError } from '@mantle/core/errors';

/** The tag every resource ore makes carries, and `ore aws gc` looks for. */
export const MANTLE_TAG = { CreatedBy: 'mantle' } as const;

/** `{k: v}` as the SDK's `[{Key, Value}]`. */
export function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** The SDK's `[{Key, Value}]` as `{k: v}`. */
export function tagMap(
  tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}

/** Parse `--tags key=value` flags (mantle's form); a malformed one is exit 2 naming it. */
export function parseTagFlags(
  values: readonly string[] | undefined,
  flag = '--tags',
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    for (const item of v.split(',').filter(Boolean)) {
      const i = item.indexOf('=');
      if (i <= 0) {
        throw new InputError({
          code: 'AWS_BAD_TAG',
          message: `${flag} ${JSON.stringify(item)} is not key=value`,
          hint: `write tags as ${flag} key=value (repeatable, or comma-separated)`,
          details: { flag, value: item },
        });
      }
      out[item.slice(0, i)] = item.slice(i + 1);
    }
  }
  return out;
}
