import { join } from 'node:path';
import { InputError } from '@mantle/core/errors';
import { ensureOutputDir, writeFileAtomic } from '@mantle/core/fs';
import { noopTransferFile, transferFile, type TransferOptions } from './transfer.js';

export interface WriteTransferOptions extends TransferOptions {
  /** transfer (systemd ≥ 257) or conf (older, what sysext-bakery and Flatcar's systemd 252 read); default conf; anything else is an InputError */
  suffix?: string;
  outDir?: string;
  /** also write noop.SUFFIX (default true) */
  noop?: boolean;
  cwd?: string;
}

export interface WriteTransferResult {
  files: { path: string; installTo: string }[];
}

/** Write NAME.SUFFIX (and noop.SUFFIX) into a directory; returns where each belongs on the host. */
export async function writeTransferFiles(opts: WriteTransferOptions): Promise<WriteTransferResult> {
  const suffix = opts.suffix ?? 'conf';
  if (suffix !== 'conf' && suffix !== 'transfer') {
    throw new InputError({
      code: 'BAD_USAGE',
      message: `--suffix ${String(suffix)} is neither transfer nor conf`,
      hint: 'use conf for systemd < 257 (Flatcar), transfer for newer',
      details: { field: '--suffix' },
    });
  }
  const text = transferFile(opts);
  const dir = await ensureOutputDir(opts.outDir ?? '.', { cwd: opts.cwd ?? process.cwd(), flag: '--out' });
  const files: WriteTransferResult['files'] = [];
  const main = join(dir, `${opts.name}.${suffix}`);
  await writeFileAtomic(main, text);
  files.push({ path: main, installTo: `/etc/sysupdate.${opts.name}.d/${opts.name}.${suffix}` });
  if (opts.noop !== false) {
    const noop = join(dir, `noop.${suffix}`);
    await writeFileAtomic(noop, noopTransferFile());
    files.push({ path: noop, installTo: `/etc/sysupdate.d/noop.${suffix}` });
  }
  return { files };
}
