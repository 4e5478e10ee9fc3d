// `pilot bwrap register --image IMAGE`: the image's root filesystem, unpacked once into
// `<bwrap_dir>/<name>/rootfs` — skopeo copies it into an OCI layout, umoci applies the layers
// (whiteouts included). pilot depends only on @mantle/core, so this is its own small version of
// what `bakery oci-rootfs` does. Work happens in a temporary directory beside the target and is
// renamed into place at the end.
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { onCleanup } from '@mantle/core/cli';
import { InputError, PrerequisiteError } from '@mantle/core/errors';
import { requireTool, run } from '@mantle/core/exec';
import { checkImageName, type Store } from '../store/registry.js';

const TRANSPORT = /^(docker|oci|oci-archive|docker-archive|containers-storage|dir):/;

/** A root filesystem name from an image reference: its last path component without tag or digest. */
export function rootfsName(image: string): string {
  const ref = image.replace(TRANSPORT, '').replace(/^\/\//, '');
  const last = ref.split('@')[0]!.split('/').at(-1) ?? 'rootfs';
  const name = last.split(':')[0]!.replace(/[^A-Za-z0-9_.+-]/g, '_');
  return name || 'rootfs';
}

/** Unpack IMAGE into the store as `name`; resolves with the rootfs directory (a real path). */
export async function unpackImage(
  store: Store,
  image: string,
  name: string,
  o: { tlsVerify: boolean; force: boolean; cwd: string; signal?: AbortSignal },
): Promise<string> {
  checkImageName('--name', name);
  const env = store.config.podmanStorageConf
    ? { ...store.env, CONTAINERS_STORAGE_CONF: store.config.podmanStorageConf }
    : store.env;
  const skopeo = await requireTool('skopeo', { debianPackage: 'skopeo', purpose: 'fetch the image', env });
  const umoci = await requireTool('umoci', { debianPackage: 'umoci', purpose: 'unpack the image', env });
  const target = join(store.config.bwrapDir, name);
  if (!o.force && (await stat(target).catch(() => undefined)))
    throw new InputError({
      code: 'ROOTFS_EXISTS',
      message: `a root filesystem named ${name} exists: ${target}`,
      hint: 'pass --force to unpack it again, --name to pick another name, or --rootfs to use it as it is',
    });
  await mkdir(store.config.bwrapDir, { recursive: true, mode: 0o755 });
  const tmp = await mkdtemp(join(store.config.bwrapDir, `.${name}.unpack-`));
  const unregister = onCleanup(() => rm(tmp, { recursive: true, force: true }), `remove ${tmp}`);
  try {
    const source = TRANSPORT.test(image) ? image : `docker://${image}`;
    const sig = o.signal ? { signal: o.signal } : {};
    // relative names in tmp: a ':' in the path would read as skopeo's/umoci's PATH:TAG separator
    const copied = await run(
      skopeo,
      [
        'copy',
        '--quiet',
        ...(source.startsWith('docker://') && !o.tlsVerify ? ['--src-tls-verify=false'] : []),
        source,
        'oci:oci:image',
      ],
      { cwd: tmp, env, reject: false, ...sig },
    );
    if (copied.exitCode !== 0)
      throw new PrerequisiteError({
        code: 'IMAGE_MISSING',
        message: `cannot fetch ${image}:\n${copied.stderr.trim().split('\n').slice(-6).join('\n')}`,
        hint: 'check the image name and registry (--no-tls-verify for a plain-HTTP registry)',
        details: { image },
      });
    const unpacked = await run(umoci, ['unpack', '--rootless', '--image', 'oci:image', 'bundle'], {
      cwd: tmp,
      env,
      reject: false,
      ...sig,
    });
    if (unpacked.exitCode !== 0)
      throw new InputError({
        code: 'IMAGE_UNPACK_FAILED',
        message: `umoci could not unpack ${image}:\n${unpacked.stderr.trim()}`,
        hint: 'is it a Linux container image?',
      });
    await mkdir(join(tmp, 'out'));
    await rename(join(tmp, 'bundle', 'rootfs'), join(tmp, 'out', 'rootfs'));
    if (o.force) await rm(target, { recursive: true, force: true });
    await rename(join(tmp, 'out'), target);
    return join(target, 'rootfs');
  } finally {
    await rm(tmp, { recursive: true, force: true });
    unregister();
  }
}
