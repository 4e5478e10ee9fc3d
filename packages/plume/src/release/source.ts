import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InputError, PrerequisiteError } from '@mantle/core/errors';
import { inspectImage, openDecompressedStream, parseVersionTxt } from '@mantle/core/image';
import { isHttpUrl } from '../fetch/object-url.js';
import { fetchVerified } from '../fetch/fetch-verified.js';
import type { RunContext } from './run-context.js';

/** Read a small object of the source (version.txt), over http(s) or from its store. */
async function readSourceText(ctx: RunContext, name: string): Promise<string | undefined> {
  const url = `${ctx.release.source}${name}`;
  if (isHttpUrl(url)) {
    const res = await fetch(url, { signal: ctx.signal });
    if (res.status === 404) return undefined;
    if (!res.ok)
      throw new InputError({
        code: 'PLUME_SOURCE_UNREADABLE',
        message: `${url}: HTTP ${res.status}`,
        hint: 'check the source URL in the spec',
      });
    return res.text();
  }
  const { store, key } = await ctx.stores.object(url);
  if (!(await store.stat(key))) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of await store.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The build's version.txt must exist and name -V (FLATCAR_VERSION), or nothing is published. */
export async function checkVersionTxt(ctx: RunContext): Promise<{ version: string; buildId?: string }> {
  const url = `${ctx.release.source}version.txt`;
  const text = await readSourceText(ctx, 'version.txt');
  if (text === undefined)
    throw new InputError({
      code: 'PLUME_VERSION_TXT_MISSING',
      message: `${url} does not exist`,
      hint: `check -V ${ctx.release.version} and the channel's source in the spec (plume spec show -C ${ctx.release.channel} -B ${ctx.release.board})`,
      details: { url },
    });
  const v = parseVersionTxt(text, url);
  if (v.version !== ctx.release.version)
    throw new InputError({
      code: 'PLUME_VERSION_MISMATCH',
      message: `${url} says FLATCAR_VERSION=${v.version}, not ${ctx.release.version}`,
      hint: 'the source holds another build: check -V, or the source URL in the spec',
      details: { url, expected: ctx.release.version, found: v.version },
    });
  return { version: v.version, ...(v.buildId ? { buildId: v.buildId } : {}) };
}

/** Fetch an artifact of the source into the cache, verified against its `.sig`. */
export async function fetchArtifact(
  ctx: RunContext,
  name: string,
): Promise<{ path: string; sha256: string; bytes: number }> {
  if (ctx.verifyKey === undefined)
    throw new PrerequisiteError({
      code: 'PLUME_NO_VERIFY_KEY',
      message: `no key to verify ${ctx.release.source}${name} with`,
      hint: 'pass --verify-key FILE (the key that signs the builds) or set verifyKey for the channel in the spec',
    });
  const r = await fetchVerified({
    url: `${ctx.release.source}${name}`,
    out: `${ctx.cacheDir}/`,
    verifyKey: ctx.verifyKey,
    stores: ctx.stores,
    logger: ctx.logger,
    signal: ctx.signal,
  });
  return { path: r.path, sha256: r.sha256, bytes: r.bytes };
}

/**
 * The artifact as a destination takes it: decompressed when it is compressed and already in the
 * wanted format (a .vhd.bz2 for Azure, a .bin.bz2 for AWS raw), else converted by ore's
 * converters (a raw image to a fixed VHD, a GCE tarball, a VMDK). The result appears under its
 * name only when complete.
 */
export async function prepareArtifact(
  ctx: RunContext,
  file: string,
  format: 'raw' | 'vmdk' | 'vhd',
): Promise<{ path: string; converted: boolean }> {
  const info = await inspectImage(file, { signal: ctx.signal });
  const base = file.replace(/\.(bz2|gz|xz|zst|lz4)$/, '');
  if (info.format === format && info.compression === 'none') return { path: file, converted: false };
  if (info.format === format) {
    if (await exists(base)) return { path: base, converted: false };
    const tmp = `${base}.part`;
    try {
      await pipeline(
        await openDecompressedStream(file, info.compression, { signal: ctx.signal }),
        createWriteStream(tmp),
        { signal: ctx.signal },
      );
      await rename(tmp, base);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { path: base, converted: false };
  }
  const out = join(
    ctx.cacheDir,
    `${base.replace(/^.*\//, '').replace(/\.(bin|img|raw|vhd|vmdk|qcow2)$/, '')}.${format === 'raw' ? 'bin' : format}`,
  );
  if (await exists(out)) return { path: out, converted: true };
  const { convertImage } = await import('@mantle/ore');
  await convertImage({ input: file, format, out, logger: ctx.logger, signal: ctx.signal });
  return { path: out, converted: true };
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
