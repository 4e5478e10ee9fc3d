import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { checkInputPath } from '@mantle/core/fs';
import {
  formatSums,
  hashFile,
  parseSums,
  VerifyError,
  VerifyErrorCode,
  type SumsEntry,
} from '@mantle/core/verify';
import { openStore, type ObjectStore, type OpenStoreOptions } from '@mantle/ore/storage';
import { gpgDetachSign } from './sign.js';

// The flat layout systemd-sysupdate reads from a url-file source: every NAME-VERSION-ARCH.raw,
// SHA256SUMS listing them (and SHA256SUMS.gpg when Verify=true) side by side under one prefix,
// plus the transfer files for users to fetch. Publishing is idempotent: objects with the same
// size and sha256 are skipped, and SHA256SUMS is merged with the one already published so older
// versions (which sysupdate may still want) stay listed as long as their images are there.

export interface PublishOptions {
  dir: string;
  dest: string;
  /** sign SHA256SUMS with this gpg key → SHA256SUMS.gpg */
  signKey?: string;
  gpgHomedir?: string;
  /** keep entries of the published SHA256SUMS whose images are still there (default true) */
  mergeSums?: boolean;
  dryRun?: boolean;
  store?: OpenStoreOptions;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  signal?: AbortSignal;
}

interface PublishedObject {
  key: string;
  action: 'uploaded' | 'skipped' | 'would-upload';
  size: number;
  sha256?: string;
}

export interface PublishResult {
  dest: string;
  objects: PublishedObject[];
  /** the SHA256SUMS that is now published */
  sums: { file: string; hash: string }[];
  /** entries kept from the SHA256SUMS that was already published */
  kept: string[];
  signed: boolean;
}

const TRANSFER_RE = /\.(conf|transfer)$/;

/** Upload a bakery output directory to any store in the layout systemd-sysupdate reads. */
export async function publish(opts: PublishOptions): Promise<PublishResult> {
  const dir = await checkInputPath(opts.dir, { cwd: opts.cwd ?? process.cwd(), flag: 'DIR', kind: 'dir' });
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  const images = names.filter((n) => n.endsWith('.raw'));
  const transfers = names.filter((n) => TRANSFER_RE.test(n));
  if (images.length === 0) {
    throw new InputError({
      code: 'PUBLISH_NOTHING',
      message: `${dir} holds no .raw images`,
      hint: 'build some with bakery create --out DIR',
      details: { field: 'DIR' },
    });
  }

  // Local SHA256SUMS must agree with the files; images it lacks are hashed and added.
  const local = new Map<string, string>();
  if (names.includes('SHA256SUMS')) {
    for (const e of parseSums(await readFile(join(dir, 'SHA256SUMS'), 'utf8'), {
      source: join(dir, 'SHA256SUMS'),
    }))
      local.set(e.file, e.hash);
  }
  for (const img of images) {
    const actual = await hashFile(join(dir, img));
    const listed = local.get(img);
    if (listed !== undefined && listed !== actual) {
      throw new VerifyError({
        code: VerifyErrorCode.ChecksumMismatch,
        message: `${join(dir, img)}: sha256 ${actual} differs from SHA256SUMS (${listed})`,
        hint: 'the image changed after it was built; rebuild it (bakery create updates SHA256SUMS)',
        details: { file: img, expected: listed, actual },
      });
    }
    local.set(img, actual);
  }
  for (const f of [...local.keys()]) if (!images.includes(f)) local.delete(f);

  const store = await openStore(opts.dest, {
    ...(opts.store ?? {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  try {
    const merged = new Map<string, string>();
    const kept: string[] = [];
    if (opts.mergeSums !== false) {
      for (const e of await remoteSums(store)) {
        if (local.has(e.file)) continue;
        if (await store.stat(e.file)) {
          merged.set(e.file, e.hash);
          kept.push(e.file);
        }
      }
    }
    for (const [f, h] of local) merged.set(f, h);
    const entries: Pick<SumsEntry, 'hash' | 'file' | 'binary'>[] = [...merged.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([file, hash]) => ({ file, hash, binary: false }));
    const sumsText = formatSums(entries);

    const objects: PublishedObject[] = [];
    const put = async (key: string, source: string | Buffer, sha256?: string): Promise<void> => {
      const size = typeof source === 'string' ? (await stat(source)).size : source.length;
      if (opts.dryRun) {
        const there = await store.stat(key, { sha256: true });
        const same =
          there !== undefined && there.size === size && sha256 !== undefined && there.sha256 === sha256;
        objects.push({ key, action: same ? 'skipped' : 'would-upload', size, ...(sha256 ? { sha256 } : {}) });
        return;
      }
      const r = await store.put(key, source, {
        skipIfSame: true,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      objects.push({
        key,
        action: r.skipped ? 'skipped' : 'uploaded',
        size,
        ...(r.sha256 ? { sha256: r.sha256 } : {}),
      });
      opts.logger?.info(`${r.skipped ? 'unchanged' : 'uploaded'} ${store.url(key)}`);
    };
    // Images first, the index last: a reader never sees SHA256SUMS naming a file not yet there.
    for (const img of images) await put(img, join(dir, img), local.get(img));
    for (const t of transfers) await put(t, join(dir, t));
    const sumsBuf = Buffer.from(sumsText);
    const { createHash } = await import('node:crypto');
    await put('SHA256SUMS', sumsBuf, createHash('sha256').update(sumsBuf).digest('hex'));
    let signed = false;
    if (opts.signKey !== undefined) {
      const sig = await gpgDetachSign(sumsText, {
        key: opts.signKey,
        ...(opts.gpgHomedir ? { homedir: opts.gpgHomedir } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.logger ? { logger: opts.logger } : {}),
      });
      // A signature over unchanged sums text need not be replaced (gpg signatures carry a timestamp).
      const there = await store.stat('SHA256SUMS.gpg');
      const sumsSkipped = objects.find((o) => o.key === 'SHA256SUMS')?.action === 'skipped';
      if (there && sumsSkipped) objects.push({ key: 'SHA256SUMS.gpg', action: 'skipped', size: there.size });
      else await put('SHA256SUMS.gpg', sig);
      signed = true;
    }
    return {
      dest: store.root,
      objects,
      sums: entries.map((e) => ({ file: e.file, hash: e.hash })),
      kept,
      signed,
    };
  } finally {
    await store.close();
  }
}

async function remoteSums(store: ObjectStore): Promise<SumsEntry[]> {
  if (!(await store.stat('SHA256SUMS'))) return [];
  const text = (await buffer(await store.get('SHA256SUMS'))).toString('utf8');
  try {
    return parseSums(text, { source: store.url('SHA256SUMS') });
  } catch {
    // A broken published index is replaced, not merged.
    return [];
  }
}
