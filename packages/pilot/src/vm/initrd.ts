// The initrd a VM boots: the flake's initrd (if any), zero-padded to a 512-byte boundary, then
// vm-pilot's own archive (/.pilot/init and the host's static busybox). Built once per flake
// initrd and kept in the caller's cache directory, keyed by the initrd's and busybox's stamps and
// the init script's version, so a launch only reads it.
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ownDir } from '../launch/private-dir.js';
import { raise } from '../launch/raise.js';
import { stampOf } from '../flake/trust.js';
import { cpioDir, cpioFile, writeCpio } from './cpio.js';
import { GUEST_INIT, GUEST_INIT_VERSION } from './guest-init.js';

/** busybox-static's binary: the guest init's only tool, so any initrd (or none) works. */
const BUSYBOX = '/bin/busybox';

/** The initrd to boot: built (or found) in `cacheDir`. */
export async function pilotInitrd(
  flakeInitrd: string | undefined,
  cacheDir: string,
  uid: number,
): Promise<string> {
  if (!existsSync(BUSYBOX))
    await raise('prerequisite', {
      code: 'BUSYBOX_MISSING',
      message: `${BUSYBOX} is missing: vm-pilot puts a static busybox into the VM to start the app`,
      hint: 'install it: apt-get install busybox-static',
    });
  const key = createHash('sha256')
    .update(JSON.stringify([GUEST_INIT_VERSION, flakeInitrd ? stampOf(flakeInitrd) : null, stampOf(BUSYBOX)]))
    .digest('hex')
    .slice(0, 20);
  await ownDir(cacheDir, uid);
  const out = join(cacheDir, `initrd-${key}.img`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    let size = 0;
    if (flakeInitrd) {
      copyFileSync(flakeInitrd, tmp);
      size = statSync(tmp).size;
    }
    const ours = writeCpio([
      cpioDir('.pilot'),
      cpioFile('.pilot/busybox', readFileSync(BUSYBOX)),
      cpioFile('.pilot/init', Buffer.from(GUEST_INIT)),
    ]);
    const fd = openSync(tmp, flakeInitrd ? 'a' : 'w', 0o644);
    try {
      writeSync(fd, Buffer.alloc((512 - (size % 512)) % 512));
      writeSync(fd, ours);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, out);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // not created
    }
    throw err;
  }
  return out;
}
