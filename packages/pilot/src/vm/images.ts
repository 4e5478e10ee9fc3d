// `pilot vm pull`: a VM image is a directory `<vm_registry_dir>/images/<name>/` with `kernel`,
// and optionally `rootfs` and `initrd` — flake-ctl's firecracker registry layout. Components
// come from files or http(s) URLs; everything is put together in a temporary directory beside
// the target and renamed into place, so an image is complete or absent.
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { onCleanup } from '@mantle/core/cli';
import { InputError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { checkImageName, type Store } from '../store/registry.js';

export interface VmPullOptions {
  name: string;
  kernel: string;
  rootfs?: string | undefined;
  initrd?: string | undefined;
  force: boolean;
  cwd: string;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface VmPullResult {
  name: string;
  dir: string;
  files: string[];
}

async function fetchInto(src: string, dest: string, flag: string, o: VmPullOptions): Promise<void> {
  if (/^https?:\/\//.test(src)) {
    o.logger?.info(`downloading ${src}`);
    const res = await fetch(src, o.signal ? { signal: o.signal } : {}).catch((err: Error) => {
      throw new OperationError({
        code: 'VM_DOWNLOAD_FAILED',
        message: `${flag} ${src}: ${err.message}`,
        cause: err,
      });
    });
    if (!res.ok || !res.body)
      throw new OperationError({
        code: 'VM_DOWNLOAD_FAILED',
        message: `${flag} ${src}: HTTP ${res.status}`,
        hint: 'check the URL',
      });
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(dest));
    return;
  }
  const path = resolve(o.cwd, src);
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile())
    throw new InputError({
      code: 'VM_COMPONENT_MISSING',
      message: `${flag} ${src}: no such file`,
      hint: 'give an existing file or an http(s) URL',
    });
  await copyFile(path, dest);
}

/** Store kernel (+ rootfs, initrd) as image `name`. */
export async function pullVmImage(store: Store, o: VmPullOptions): Promise<VmPullResult> {
  checkImageName('--name', o.name);
  const images = join(store.config.vmRegistryDir, 'images');
  const dir = join(images, o.name);
  if (!o.force && (await stat(dir).catch(() => undefined)))
    throw new InputError({
      code: 'VM_IMAGE_EXISTS',
      message: `image ${o.name} already exists: ${dir}`,
      hint: 'pass --force to replace it (apps registered with it keep working with the new files)',
    });
  await mkdir(images, { recursive: true, mode: 0o755 });
  const tmp = await mkdtemp(join(images, `.${o.name}.pull-`));
  const unregister = onCleanup(() => rm(tmp, { recursive: true, force: true }), `remove ${tmp}`);
  try {
    const files: string[] = [];
    for (const [flag, src, file] of [
      ['--kernel', o.kernel, 'kernel'],
      ['--rootfs', o.rootfs, 'rootfs'],
      ['--initrd', o.initrd, 'initrd'],
    ] as const) {
      if (!src) continue;
      await fetchInto(src, join(tmp, file), flag, o);
      files.push(file);
    }
    if (o.force) await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return { name: o.name, dir, files };
  } finally {
    await rm(tmp, { recursive: true, force: true });
    unregister();
  }
}
