import { describe, expect, it } from 'vitest';
import { distrustReason, type FileStamp } from './trust.js';

const st = (mode: number, uid = 0, gid = 0): FileStamp => ({
  path: '/f',
  present: true,
  mode: 0o100000 | mode,
  uid,
  gid,
});
const caller = { uid: 1000, gid: 1000 };

describe('distrustReason', () => {
  it('trusts files of root or the caller writable only by their owner', () => {
    expect(distrustReason(st(0o644), caller)).toBeUndefined();
    expect(distrustReason(st(0o644, 1000, 1000), caller)).toBeUndefined();
    expect(distrustReason(st(0o664, 1000, 1000), caller)).toBeUndefined();
    expect(distrustReason(st(0o775, 0, 0), caller)).toBeUndefined();
  });
  it('refuses files others own or may write', () => {
    expect(distrustReason(st(0o644, 1001), caller)).toMatch(/owned by uid 1001/);
    expect(distrustReason(st(0o646), caller)).toMatch(/writable by everyone/);
    expect(distrustReason(st(0o664, 0, 50), caller)).toMatch(/writable by group 50/);
  });
  it('has nothing against a file that is not there', () => {
    expect(distrustReason({ path: '/x', present: false }, caller)).toBeUndefined();
  });
});
