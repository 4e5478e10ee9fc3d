// `pilot podman pull|load|remove --container`: images in the flakes' podman storage
// (flakes.yml's podman_storage_conf), as flake-ctl does it.
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, PrerequisiteError } from '@mantle/core/errors';
import { requireTool, run } from '@mantle/core/exec';
import type { Logger } from '@mantle/core/log';
import type { Store } from '../store/registry.js';

function podmanEnv(store: Store): NodeJS.ProcessEnv {
  const conf = store.config.podmanStorageConf;
  return conf ? { ...store.env, CONTAINERS_STORAGE_CONF: conf } : store.env;
}

async function podman(store: Store, args: string[], opts: { logger?: Logger; signal?: AbortSignal } = {}) {
  const env = podmanEnv(store);
  const bin = await requireTool('podman', {
    debianPackage: 'podman runc',
    purpose: 'manage container flakes',
    env,
  });
  return run(bin, args, { env, reject: false, ...opts });
}

function tailOf(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .slice(-8)
    .join('\n');
}

/** `podman pull URI`; a failure is exit 3 (the image is a prerequisite that could not be had). */
export async function pullImage(
  store: Store,
  uri: string,
  opts: { tlsVerify: boolean; logger?: Logger; signal?: AbortSignal },
): Promise<{ uri: string; id: string }> {
  opts.logger?.info(`pulling ${uri}`);
  const r = await podman(
    store,
    ['pull', '--quiet', ...(opts.tlsVerify ? [] : ['--tls-verify=false']), uri],
    opts,
  );
  if (r.exitCode !== 0)
    throw new PrerequisiteError({
      code: 'IMAGE_PULL_FAILED',
      message: `podman pull ${uri} failed:\n${tailOf(r.stderr)}`,
      hint: 'check the image name and that the registry is reachable (--no-tls-verify for a plain-HTTP registry)',
      details: { uri },
    });
  return { uri, id: r.stdout.trim() };
}

/**
 * flake-ctl's rule for `load --oci PATH`: when PATH does not exist it is the start of a glob
 * (PATH*), and the last match in sort order — the highest version — is loaded.
 */
async function resolveArchive(oci: string, cwd: string): Promise<string> {
  const path = resolve(cwd, oci);
  try {
    await readdir(dirname(path));
  } catch {
    throw new InputError({
      code: 'OCI_ARCHIVE_MISSING',
      message: `--oci ${oci}: ${dirname(path)} does not exist`,
      hint: 'give the path of an OCI or docker archive',
    });
  }
  const siblings = (await readdir(dirname(path))).filter((f) => f.startsWith(basename(path))).sort();
  if (siblings.includes(basename(path))) return path;
  const last = siblings.at(-1);
  if (!last)
    throw new InputError({
      code: 'OCI_ARCHIVE_MISSING',
      message: `--oci ${oci}: no such file, and nothing matches ${path}*`,
      hint: 'give the path of an OCI or docker archive (podman save, skopeo copy ... oci-archive:)',
    });
  return join(dirname(path), last);
}

/** `podman load -i ARCHIVE`. */
export async function loadImage(
  store: Store,
  oci: string,
  opts: { cwd: string; logger?: Logger; signal?: AbortSignal },
): Promise<{ archive: string; loaded: string[] }> {
  const archive = await resolveArchive(oci, opts.cwd);
  opts.logger?.info(`loading ${archive}`);
  const r = await podman(store, ['load', '--quiet', '--input', archive], opts);
  if (r.exitCode !== 0)
    throw new InputError({
      code: 'OCI_LOAD_FAILED',
      message: `podman load ${archive} failed:\n${tailOf(r.stderr)}`,
      hint: 'give an OCI archive or a docker archive (podman save / skopeo copy)',
    });
  const loaded = r.stdout
    .split('\n')
    .map((l) => l.replace(/^Loaded image(\(s\))?:\s*/, '').trim())
    .filter(Boolean);
  return { archive, loaded };
}

/** `podman image rm --force NAME` (flake-ctl podman remove --container). */
export async function removeImage(store: Store, name: string, logger?: Logger): Promise<boolean> {
  const r = await podman(store, ['image', 'rm', '--force', name]);
  if (r.exitCode !== 0) logger?.warn(`podman image rm ${name}: ${tailOf(r.stderr)}`);
  return r.exitCode === 0;
}
