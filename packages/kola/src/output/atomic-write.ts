import { writeFileAtomic as writeAtomic } from '@mantle/core/verify';

/**
 * Write a file atomically (core's temp file + fsync + rename): readers (CI uploading reports, a
 * second kola) never see a half-written report, even after a crash.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  return writeAtomic(path, data, { mode });
}
