import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { findTool, run } from '@mantle/core/exec';
import type { Logger } from '@mantle/core/log';
import { hashFile } from '@mantle/core/verify';

/**
 * kolet on a read-only disk: an ext4 image holding only the kolet executable (`/kolet`),
 * attached to every machine as a virtio disk with serial `kolet`. KoletAgent mounts it read-only
 * on the machine, checks the executable's sha256 there and links /var/lib/kolet/kolet to it:
 * no 100 MB copy through SSH (qemu's user network under TCG moves ~5 MB/s), and nothing
 * written to the machine's disk. The image is made once per kolet build (mkfs.ext4 -d, ~1 s)
 * and cached by the executable's sha256 in `<cache>/kolet-disk/`.
 *
 * ext4 because the kernels of both test images have it built in (the Debian cloud kernel has no
 * 9p, and virtiofs needs virtiofsd and shared memory). Resolves undefined (kola then uploads
 * over SSH) when mkfs.ext4 is missing or the image cannot be made; the reason is logged.
 */
export async function koletDiskImage(
  exe: { path: string; sha256: string },
  cacheDir: string,
  logger: Logger,
  env?: NodeJS.ProcessEnv,
): Promise<{ path: string; sha256: string } | undefined> {
  const dir = join(cacheDir, 'kolet-disk');
  const image = join(dir, `${exe.sha256}.ext4`);
  if (existsSync(image)) return { path: image, sha256: exe.sha256 };
  const mkfs = await findTool('mkfs.ext4', env);
  if (!mkfs) {
    logger.debug('no mkfs.ext4 (Debian: e2fsprogs): kolet goes to machines over SSH');
    return undefined;
  }
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, '.build-'));
  try {
    const root = join(work, 'root');
    await mkdir(root);
    await copyFile(exe.path, join(root, 'kolet'));
    await chmod(join(root, 'kolet'), 0o755);
    // The copy, not the original: it is what goes into the image.
    const sum = await hashFile(join(root, 'kolet'), 'sha256');
    if (sum !== exe.sha256) {
      logger.warn(
        `kolet ${exe.path} has sha256 ${sum}, its build says ${exe.sha256}: rebuild it (pnpm --filter @mantle/kola build); uploading over SSH instead`,
      );
      return undefined;
    }
    // Room for the file plus ext4's metadata (no journal: the disk is read-only).
    const mib = Math.ceil(((await stat(exe.path)).size * 1.05) / 2 ** 20) + 16;
    const tmpImage = join(work, 'kolet.ext4');
    await run(
      mkfs,
      [
        '-q',
        '-F',
        '-L',
        'kolet',
        '-O',
        '^has_journal',
        '-E',
        'root_owner=0:0',
        '-d',
        root,
        tmpImage,
        `${mib}M`,
      ],
      { logger, ...(env ? { env } : {}) },
    );
    await rename(tmpImage, image);
    logger.debug(`kolet disk image ${image} (${mib} MiB)`);
    await pruneOld(dir, image);
    return { path: image, sha256: exe.sha256 };
  } catch (err) {
    logger.warn(
      `cannot make the kolet disk image (${err instanceof Error ? err.message : String(err)}); uploading kolet over SSH instead`,
    );
    return undefined;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// Keep the new image and the one before it (a run started on the previous kolet may still use it).
async function pruneOld(dir: string, keep: string): Promise<void> {
  const images = await Promise.all(
    (await readdir(dir))
      .filter((f) => f.endsWith('.ext4'))
      .map(async (f) => ({ path: join(dir, f), mtime: (await stat(join(dir, f))).mtimeMs })),
  );
  const old = images.filter((i) => i.path !== keep).sort((a, b) => b.mtime - a.mtime);
  await Promise.all(old.slice(1).map((i) => rm(i.path, { force: true })));
}
