import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@mantle/core/log';
import { requireTool, run } from '@mantle/core/exec';

export interface SignOptions {
  /** key id, fingerprint or user id for gpg --local-user */
  key: string;
  /** GNUPGHOME to use (default: gpg's own) */
  homedir?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  signal?: AbortSignal;
}

/** A binary detached signature of `data` made by gpg (what systemd-sysupdate reads as SHA256SUMS.gpg). */
export async function gpgDetachSign(data: string | Uint8Array, opts: SignOptions): Promise<Buffer> {
  const gpg = await requireTool('gpg', {
    debianPackage: 'gnupg',
    purpose: 'sign SHA256SUMS',
    ...(opts.env ? { env: opts.env } : {}),
  });
  const dir = await mkdtemp(join(tmpdir(), 'bakery-sign-'));
  try {
    const input = join(dir, 'SHA256SUMS');
    const output = join(dir, 'SHA256SUMS.gpg');
    await writeFile(input, data);
    const args = [
      '--batch',
      '--yes',
      '--pinentry-mode',
      'loopback',
      ...(opts.homedir ? ['--homedir', opts.homedir] : []),
      '--local-user',
      opts.key,
      '--detach-sign',
      '--output',
      output,
      input,
    ];
    await run(gpg, args, {
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    });
    return await readFile(output);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
