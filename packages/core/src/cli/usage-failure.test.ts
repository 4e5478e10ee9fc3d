import { describe, expect, it } from 'vitest';
import { commandOf, joinNegativeValues, usageFailure } from './usage-failure.js';

const usage = (line: string) => ({ getUsage: (): [string, string][] => [[line, 'describe']] });

describe('usage failures', () => {
  it('names the missing positionals and the help of the command typed', () => {
    const e = usageFailure(
      'ore',
      'Not enough non-option arguments: got 0, need at least 1',
      usage('$0 image info <file>'),
    );
    expect(e.message).toBe('ore image info: missing <file> (usage: ore image info <file>)');
    expect(e.hint).toBe("run 'ore image info --help' for usage");
    expect(e.exitCode).toBe(2);
    const two = usageFailure(
      'bakery',
      'Not enough non-option arguments: got 1, need at least 2',
      usage('$0 bake <image> <sysexts..>'),
    );
    expect(two.message).toBe('bakery bake: missing <sysexts..> (usage: bakery bake <image> <sysexts..>)');
  });

  it('points other failures at the command help, or the tool help at the top', () => {
    expect(usageFailure('ore', 'ore image: a subcommand is required', usage('$0 image')).hint).toBe(
      "run 'ore image --help' for usage",
    );
    expect(usageFailure('ore', 'Unknown argument: nope', { getUsage: () => [] }).hint).toBe(
      "run 'ore --help' for usage",
    );
    expect(commandOf('kola', usage('$0 — boot OS images\n\nUsage: $0 <command> [options]')).path).toBe(
      'kola',
    );
    expect(commandOf('kola', usage('$0 run [glob..]')).path).toBe('kola run');
  });

  it('reads a value that starts with -digit after a long flag as that flag’s value', () => {
    expect(joinNegativeValues(['image', 'create-layout', '--size', '-5G', 'x.raw'])).toEqual([
      'image',
      'create-layout',
      '--size=-5G',
      'x.raw',
    ]);
    expect(joinNegativeValues(['-v', '--json', '--', '--size', '-5'])).toEqual([
      '-v',
      '--json',
      '--',
      '--size',
      '-5',
    ]);
  });
});
