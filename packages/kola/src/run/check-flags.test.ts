import { describe, expect, it } from 'vitest';
import { CHECK_FORMATS as KOLET_FORMATS, FORMAT_OPTIONS as KOLET_OPTIONS } from '@mantle/kolet';
import { parseEnvAssignments } from './check-command.js';
import { CHECK_FORMATS, FORMAT_OPTIONS } from './check-flags.js';

describe('kola check flags', () => {
  it("offer exactly kolet's (goss's) formats and format options", () => {
    expect([...CHECK_FORMATS]).toEqual([...KOLET_FORMATS]);
    expect([...FORMAT_OPTIONS]).toEqual([...KOLET_OPTIONS]);
  });

  it('read -e NAME=VALUE (values may hold = and spaces); a bad entry is an input error', () => {
    expect(parseEnvAssignments(['OS=debian', 'MSG=a=b c', 'EMPTY='])).toEqual({
      OS: 'debian',
      MSG: 'a=b c',
      EMPTY: '',
    });
    expect(() => parseEnvAssignments(['1BAD=x'])).toThrow(/-e 1BAD=x: expected NAME=VALUE/);
    expect(() => parseEnvAssignments(['NOVALUE'])).toThrow(/expected NAME=VALUE/);
  });
});
