import { OperationError } from '@mantle/core/errors';
import { parseOsRelease } from '@mantle/core/image';
import type { Machine } from '../platform/types.js';

/** What kola learns about the image from a booted machine. */
export interface ImageInfo {
  /** os-release ID, e.g. flatcar, mantle-tiny */
  id?: string;
  /** os-release VERSION_ID, compared against minVersion/endVersion */
  versionId?: string;
  /** os-release PRETTY_NAME */
  prettyName?: string;
}

/** Read /usr/lib/os-release (or /etc/os-release) from a machine. */
export async function probeImageInfo(machine: Machine): Promise<ImageInfo> {
  const r = await machine.ssh('cat /usr/lib/os-release 2>/dev/null || cat /etc/os-release', {
    timeoutMs: 30_000,
  });
  if (r.exitCode !== 0)
    throw new OperationError({
      code: 'OS_RELEASE_UNREADABLE',
      message: `reading os-release on ${machine.id} failed: ${r.stderr.trim()}`,
      hint: 'the image needs /usr/lib/os-release or /etc/os-release',
    });
  const kv = parseOsRelease(r.stdout, `${machine.id}:/usr/lib/os-release`);
  const info: ImageInfo = {};
  if (kv.ID) info.id = kv.ID;
  if (kv.VERSION_ID) info.versionId = kv.VERSION_ID;
  if (kv.PRETTY_NAME) info.prettyName = kv.PRETTY_NAME;
  return info;
}
