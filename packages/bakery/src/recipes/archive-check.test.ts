import { describe, expect, it } from 'vitest';
import { UnsafePathError } from '@mantle/core/fs';
import { checkTarMembers, parseTarListing } from './archive-check.js';

// `tar --quoting-style=c --numeric-owner -P -tvf` lines as GNU tar 1.34 prints them.
const LISTING = [
  'drwxr-xr-x 0/0               0 2024-01-01 00:00 "./"',
  '-rwsr-xr-x 0/0               3 2024-01-01 00:00 "./a/f"',
  'lrwxrwxrwx 0/0               0 2024-01-01 00:00 "./a/lnk" -> "/etc"',
  'hrwsr-xr-x 0/0               0 2024-01-01 00:00 "./a/hard" link to "./a/f"',
  '-rw-r--r-- 0/0               1 2024-01-01 00:00 "./a/we ird\\nname -> x\\"\\303\\244"',
  'crw-r--r-- 0/0             1,3 2024-01-01 00:00 "dev/null"',
].join('\n');

describe('archive listing', () => {
  it('parses names, link targets and C escapes', () => {
    const m = parseTarListing(LISTING, 'a.tar');
    expect(m.map((x) => [x.type, x.name, x.target])).toEqual([
      ['d', '', undefined],
      ['-', 'a/f', undefined],
      ['l', 'a/lnk', '/etc'],
      ['h', 'a/hard', './a/f'],
      ['-', 'a/we ird\nname -> x"ä', undefined],
      ['c', 'dev/null', undefined],
    ]);
    expect(() => parseTarListing('something else', 'a.tar')).toThrow(/cannot read the archive listing line/);
  });

  it('refuses devices, .., absolute names and members below a symlink member', () => {
    const code = (members: Parameters<typeof checkTarMembers>[0]): string | undefined => {
      try {
        checkTarMembers(members, 'a.tar');
      } catch (err) {
        return err instanceof UnsafePathError ? err.code : String(err);
      }
      return undefined;
    };
    expect(code(parseTarListing(LISTING.split('\n').slice(0, 4).join('\n'), 'a.tar'))).toBeUndefined();
    expect(code([{ type: 'c', name: 'dev/null' }])).toBe('PATH_SPECIAL_FILE');
    expect(code([{ type: 'p', name: 'fifo' }])).toBe('PATH_SPECIAL_FILE');
    expect(code([{ type: '-', name: '../x' }])).toBe('PATH_DOTDOT');
    expect(code([{ type: '-', name: '/etc/x' }])).toBe('PATH_ABSOLUTE');
    expect(code([{ type: 'h', name: 'x', target: '/etc/shadow' }])).toBe('PATH_ABSOLUTE');
    expect(
      code([
        { type: 'l', name: 'l', target: '/etc' },
        { type: '-', name: 'l/passwd' },
      ]),
    ).toBe('PATH_SYMLINK');
    expect(
      code([
        { type: 'l', name: 'l', target: '/etc' },
        { type: 'h', name: 'h', target: 'l/shadow' },
      ]),
    ).toBe('PATH_SYMLINK');
  });
});
