import { describe, expect, it } from 'vitest';
import { parseUnsquashfsListing } from './sysext-reader.js';

describe('parseUnsquashfsListing', () => {
  it('reads types, modes, owners, sizes, names with spaces and symlink targets', () => {
    const text = [
      'drwxr-xr-x 0/0                      26 1970-01-01 00:00 ',
      'drwxr-xr-x 0/0                      37 1970-01-01 00:00 /usr',
      '-rwsr-xr-x 0/0                      21 1970-01-01 00:00 /usr/bin/su do',
      'lrwxrwxrwx 1000/100                 5 1970-01-01 00:00 /usr/bin/hi -> hello',
      'crw-r--r-- 0/0                     1,3 1970-01-01 00:00 /usr/dev',
    ].join('\n');
    expect(parseUnsquashfsListing(text)).toEqual([
      { path: 'usr', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 37 },
      { path: 'usr/bin/su do', type: 'file', mode: 0o4755, uid: 0, gid: 0, size: 21 },
      { path: 'usr/bin/hi', type: 'symlink', mode: 0o777, uid: 1000, gid: 100, size: 5, target: 'hello' },
      { path: 'usr/dev', type: 'other', mode: 0o644, uid: 0, gid: 0, size: 0 },
    ]);
  });
});
