import type { Argv } from 'yargs';

/** `--older-than DURATION` (alias --duration) of every cloud's gc, as mantle spells it. */
export function olderThanOption<T>(y: Argv<T>) {
  return y.option('older-than', {
    alias: 'duration',
    type: 'string',
    default: '5h',
    describe: 'age, e.g. 30m, 5h, 2d',
  });
}
