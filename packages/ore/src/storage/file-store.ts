import { randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { InputError, errorMessage } from '@mantle/core/errors';
import { resolveInRoot, resolveInside } from '@mantle/core/fs';
import { silentLogger, type Logger } from '@mantle/core/log';
import { guessContentType } from './content-type.js';
import { storageError } from './errors.js';
import { trackProgress } from './progress.js';
import { HashCounter, openSource, prepareSource, sameContent, sha256File } from './put-source.js';
import { checkKey } from './store-url.js';
import type {
  ListOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutResult,
  PutSource,
  StatOptions,
} from './types.js';

// Temp files live next to their target (same filesystem, so rename is atomic) and are hidden from list.
const TMP_MARK = '.mantle-tmp-';

/**
 * A directory used as an object store: keys are relative paths. It keeps no metadata beside the
 * files (no sidecars, no xattrs), so the directory stays a plain mirror that any web server can
 * serve: contentType is guessed from the extension, cacheControl is not kept, and sha256 is
 * computed from the file when asked (stat with {sha256: true}, and put with skipIfSame).
 */
export class FileStore implements ObjectStore {
  readonly scheme = 'file' as const;
  readonly root: string;
  readonly prefix = '';
  private readonly log: Logger;

  constructor(
    readonly bucket: string,
    logger: Logger = silentLogger,
  ) {
    this.root = pathToFileURL(bucket).href.replace(/\/?$/, '/');
    this.log = logger;
  }

  objectName(key: string): string {
    return checkKey(key);
  }

  url(key: string): string {
    return pathToFileURL(this.pathOf(key)).href;
  }

  async *list(prefix = '', opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const slash = prefix.lastIndexOf('/');
    const dirPart = prefix.slice(0, slash + 1);
    if (dirPart !== '') checkKey(dirPart.replace(/\/$/, ''), 'prefix');
    // The listed directory is resolved inside the store once; below it, only links are resolved
    // again (each from the store's root), so a listing costs no extra lookups per plain file.
    const dir = dirPart === '' ? this.bucket : await this.readPath(dirPart.replace(/\/$/, ''));
    if (dir === undefined) return;
    yield* this.walk(dirPart, dir, prefix, opts.recursive ?? false);
  }

  private async *walk(
    dirKey: string,
    dirPath: string,
    prefix: string,
    recursive: boolean,
  ): AsyncIterable<ObjectInfo> {
    let entries;
    try {
      entries = await readdir(dirPath, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw storageError({ code, message: String(err) }, { op: 'list', url: this.root + dirKey }, err);
    }
    // Sort like S3 does (by key, where a directory sorts as "name/").
    const named = entries
      .filter((e) => !e.name.includes(TMP_MARK))
      .map((e) => ({ e, sortKey: e.isDirectory() ? `${e.name}/` : e.name }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const { e } of named) {
      const key = dirKey + e.name;
      let path: string | undefined = join(dirPath, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        path = await this.readPath(key);
        const st = path === undefined ? undefined : await stat(path).catch(() => undefined);
        isDir = st?.isDirectory() ?? false;
        isFile = st?.isFile() ?? false;
      }
      if (path === undefined) continue;
      if (isDir) {
        const sub = `${key}/`;
        // Descend only where the prefix can still match below.
        if (!(sub.startsWith(prefix) || prefix.startsWith(sub))) continue;
        if (recursive || prefix.startsWith(sub)) yield* this.walk(sub, path, prefix, recursive);
        else yield { key: sub, size: 0, isPrefix: true };
      } else if (isFile && key.startsWith(prefix)) {
        const info = await this.statAt(key, path);
        if (info) yield info;
      }
    }
  }

  async stat(key: string, opts: StatOptions = {}): Promise<ObjectInfo | undefined> {
    const path = await this.readPath(key);
    return path === undefined ? undefined : this.statAt(key, path, opts);
  }

  // stat of a key whose path inside the store is already resolved.
  private async statAt(key: string, path: string, opts: StatOptions = {}): Promise<ObjectInfo | undefined> {
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw storageError({ code, message: String(err) }, { op: 'stat', url: this.url(key) }, err);
    }
    if (!st.isFile()) return undefined;
    return {
      key,
      size: st.size,
      etag: `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
      contentType: guessContentType(key),
      modified: st.mtime,
      ...(opts.sha256 ? { sha256: await sha256File(path) } : {}),
    };
  }

  async get(key: string): Promise<Readable> {
    const path = await this.readPath(key);
    if (path === undefined || !(await this.statAt(key, path))) {
      throw storageError({ code: 'NoSuchKey' }, { op: 'get', url: this.url(key) }, undefined);
    }
    return createReadStream(path, { highWaterMark: 1 << 20 });
  }

  async put(key: string, source: PutSource, opts: PutOptions = {}): Promise<PutResult> {
    const path = await this.writePath(key);
    // Hash the source only when a skip is possible (same size); otherwise it is hashed while copied.
    const src = await prepareSource(source, opts, false);
    if (opts.skipIfSame) {
      const existing = await this.stat(key);
      if (existing && existing.size === src.size && src.kind !== 'stream') {
        src.sha256 ??= src.kind === 'file' ? await sha256File(src.path, opts.signal) : undefined;
      }
      if (existing && existing.size === src.size && src.sha256 !== undefined) {
        if (sameContent({ size: existing.size, sha256: await sha256File(path, opts.signal) }, src)) {
          this.log.debug(`skip ${this.url(key)}: same size and sha256`);
          return { key, skipped: true, size: existing.size, sha256: src.sha256 };
        }
      }
    }
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${basename(path)}${TMP_MARK}${randomBytes(6).toString('hex')}`);
    const progress = trackProgress(opts.onProgress, src.size);
    const counter = new HashCounter((n) => progress.to(n));
    try {
      // flush: fsync before close, so the rename below never exposes a file whose data is not on disk.
      const out = createWriteStream(tmp, { flags: 'wx', mode: 0o644, flush: true });
      await pipeline(openSource(src), counter, out, opts.signal ? { signal: opts.signal } : {});
      const sha256 = counter.digest();
      if (src.sha256 !== undefined && sha256 !== src.sha256.toLowerCase()) {
        throw new InputError({
          code: 'STORAGE_SHA256_MISMATCH',
          message: `upload to ${this.url(key)}: content sha256 ${sha256} differs from the expected ${src.sha256}`,
          hint: 'the source changed while it was read, or the sha256 given with the stream is wrong',
        });
      }
      await rename(tmp, path);
      await fsyncDir(dir);
      progress.done(counter.bytes);
      this.log.debug(`put ${this.url(key)} (${counter.bytes} bytes)`);
      const st = await stat(path);
      return {
        key,
        skipped: false,
        size: counter.bytes,
        sha256,
        etag: `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
      };
    } catch (err) {
      await rm(tmp, { force: true });
      await this.pruneEmptyDirs(dir);
      if (err instanceof InputError) throw err;
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : err;
      const code = (err as NodeJS.ErrnoException).code;
      throw storageError({ code, message: errorMessage(err) }, { op: 'put', url: this.url(key) }, err);
    }
  }

  async copy(srcKey: string, dstKey: string): Promise<void> {
    const from = await this.readPath(srcKey);
    const to = await this.writePath(dstKey);
    if (from === undefined || !(await this.statAt(srcKey, from))) {
      throw storageError({ code: 'NoSuchKey' }, { op: 'copy', url: this.url(srcKey) }, undefined);
    }
    const dir = dirname(to);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${basename(to)}${TMP_MARK}${randomBytes(6).toString('hex')}`);
    try {
      // A reflink where the filesystem has them, a plain copy elsewhere.
      await copyFile(from, tmp, constants.COPYFILE_FICLONE);
      const fh = await open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, to);
      await fsyncDir(dir);
    } catch (err) {
      await rm(tmp, { force: true });
      await this.pruneEmptyDirs(dir);
      throw storageError(
        { code: (err as NodeJS.ErrnoException).code, message: String(err) },
        { op: 'copy', url: this.url(dstKey) },
        err,
      );
    }
  }

  async delete(key: string): Promise<void> {
    const path = await this.writePath(key);
    await rm(path, { force: true });
    await this.pruneEmptyDirs(dirname(path));
  }

  // Directories are an artefact of the file layout, not objects: drop the ones left empty, so that
  // listings show a prefix only where objects are (as the object stores do).
  private async pruneEmptyDirs(from: string): Promise<void> {
    let dir = from;
    while (dir !== this.bucket && dir.startsWith(this.bucket + sep)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
      dir = dirname(dir);
    }
  }

  // A directory is as public as whoever serves it: nothing to do.
  async makePublic(key: string): Promise<void> {
    checkKey(key);
    return Promise.resolve();
  }

  async close(): Promise<void> {
    return Promise.resolve();
  }

  // Keys can come from a hostile index or release spec, and a mirror directory can come from
  // someone else. Reads follow symbolic links the way a chroot would (a mirror's `current ->
  // 1.2.3` works; `/etc` or `../..` stay inside the store), so no host file is ever read.
  // Returns undefined when the key does not exist.
  private async readPath(key: string): Promise<string | undefined> {
    this.pathOf(key);
    const rel = await resolveInRoot(this.bucket, key, { what: `object key '${key}'` });
    return rel === undefined ? undefined : join(this.bucket, rel);
  }

  // Writes and deletes go through no symbolic link at all: UnsafePathError (exit 2) names the key.
  private async writePath(key: string): Promise<string> {
    const path = this.pathOf(key);
    await resolveInside(this.bucket, key, {
      what: `object key '${key}' in ${this.bucket}`,
      mustExist: false,
    });
    return path;
  }

  private pathOf(key: string): string {
    checkKey(key);
    const path = join(this.bucket, key);
    // checkKey already forbids "..", this guards against anything it missed.
    if (relative(this.bucket, path).startsWith('..')) {
      throw new InputError({
        code: 'STORAGE_BAD_KEY',
        message: `object key '${key}' leaves the store directory`,
        hint: 'use a relative key without ".."',
      });
    }
    return path;
  }
}

// fsync the directory so the rename itself survives a crash.
async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  } finally {
    await fh.close();
  }
}
