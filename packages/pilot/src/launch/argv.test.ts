import { describe, expect, it } from 'vitest';
import { isSafeInstanceName, parsePilotArgs } from './argv.js';
import { expandPercentVars, splitRuntimeOption } from './env-expand.js';

describe('parsePilotArgs', () => {
  it('takes @NAME and %options out of the app arguments, wherever they stand', () => {
    const a = parsePilotArgs(['-c', '@one', 'echo hi', '%remove', '%port:4711', '@two']);
    expect(a.appArgs).toEqual(['-c', 'echo hi']);
    expect(a.instance).toBe('@one');
    expect(a.instances).toEqual(['@one', '@two']);
    expect(a.options.get('remove')).toBe('');
    expect(a.options.get('port')).toBe('4711');
    expect(a.unknownOptions).toEqual([]);
  });
  it('passes %%x and @@x to the app as %x and @x, and reports unknown %options', () => {
    const a = parsePilotArgs(['printf', '%%s\\n', '@@home', '%bogus']);
    expect(a.appArgs).toEqual(['printf', '%s\\n', '@home']);
    expect(a.unknownOptions).toEqual(['%bogus']);
  });
});

describe('isSafeInstanceName', () => {
  it("allows flake-pilot's characters, up to 64 in all", () => {
    expect(isSafeInstanceName('@a-b_c=d@e9')).toBe(true);
    expect(isSafeInstanceName(`@${'x'.repeat(63)}`)).toBe(true);
    expect(isSafeInstanceName(`@${'x'.repeat(64)}`)).toBe(false);
  });
  it('refuses path and shell characters and an empty name', () => {
    for (const bad of ['@', '@../x', '@a/b', '@a b', '@$(x)', '@a;b', 'a'])
      expect(isSafeInstanceName(bad)).toBe(false);
  });
});

describe('%VAR expansion', () => {
  const env = { HOME: '/home/u', USER: 'u', EVIL: '%HOME' };
  it('replaces %NAME with the variable, or with $NAME when unset', () => {
    expect(expandPercentVars('--volume %HOME:/home/%USER', env)).toBe('--volume /home/u:/home/u');
    expect(expandPercentVars('%NOPE', env)).toBe('$NOPE');
  });
  it('expands once: a value containing %X stays as it is', () => {
    expect(expandPercentVars('%EVIL', env)).toBe('%HOME');
  });
  it('splits a runtime option at its first space, as flake-pilot does', () => {
    expect(splitRuntimeOption('--storage-opt size=10G', env)).toEqual(['--storage-opt', 'size=10G']);
    expect(splitRuntimeOption('-e A=b c', env)).toEqual(['-e', 'A=b c']);
    expect(splitRuntimeOption('--rm', env)).toEqual(['--rm']);
  });
});
