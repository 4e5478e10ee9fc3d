import { access, chmod, lstat, mkdir, mkdtemp, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { InputError, OperationError, UsageError, errorMessage } from '@mantle/core/errors';
import { registerSecret, type Logger } from '@mantle/core/log';
import { onCleanup } from '@mantle/core/cli';
import { requireTool, run } from '@mantle/core/exec';
import { hostSystemdArch, normalizeSystemdArch } from '../sysext/names.js';
import { manifestDigest, readLayoutImage } from './layout.js';
import { parseImageRef, pinnedDockerRef, type ImageRef } from './reference.js';
import { countEntries, removeTree } from './remove-tree.js';
import { runInRootfs } from './run-in-rootfs.js';
import { skopeoError } from './skopeo-errors.js';

// `bakery oci-rootfs IMAGE DIR`: a container image's root filesystem as a plain directory, for
// flix/flatwrap to take binaries from — what sysext-bakery's oci-rootfs.sh does with docker, done
// without a daemon and without root: skopeo copies IMAGE into an OCI layout, umoci applies the
// layers (whiteouts included), an optional --run command changes the tree in a bubblewrap
// sandbox, and the finished tree is renamed to DIR. Everything happens in a temp directory next
// to DIR, so DIR is either the complete result or untouched.
//
// umoci unpacks with --rootless always: every file belongs to the user who runs bakery (uid/gid
// from the image are not kept, setuid bits are, device nodes are skipped). That is what a
// sysext wants anyway: its files are packed as root-owned.

export interface OciRootfsOptions {
  /** a skopeo transport reference, or a bare registry name (alpine:latest) */
  image: string;
  /** where the root filesystem goes: must not exist or be empty, unless `force` */
  dir: string;
  /** x86-64 or arm64 (aliases amd64, x86_64, aarch64); default: this machine's */
  arch?: string;
  /** verify registry TLS certificates and refuse plain HTTP (default true) */
  tlsVerify?: boolean;
  /** USER:PASSWORD for the registry */
  creds?: string;
  /** a containers auth.json (podman/skopeo login) */
  authfile?: string;
  /** shell text run by the image's /bin/sh inside the tree before it is moved to DIR */
  run?: string;
  /** replace a non-empty DIR */
  force?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface OciRootfsResult {
  /** IMAGE as given */
  image: string;
  /** what was pulled: pinned to the digest for registry images, so the tag could not move meanwhile */
  reference: string;
  /** the root filesystem (absolute) */
  dir: string;
  /** digest of IMAGE's manifest or index as its source serves it (IMAGE@digest pulls the same) */
  digest: string | undefined;
  /** digest of the single-architecture manifest that was unpacked (as stored in OCI format) */
  manifestDigest: string;
  /** the image's architecture (x86-64, arm64, or what the image config says) */
  arch: string;
  os: string | undefined;
  layers: number;
  /** entries in the tree (files, directories, links) */
  files: number;
  /** true when a --run command ran */
  ran: boolean;
}

const OCI_ARCH: Record<string, string> = { 'x86-64': 'amd64', arm64: 'arm64' };
const SYSEXT_ARCH: Record<string, string> = { amd64: 'x86-64', arm64: 'arm64' };

/** Pull IMAGE and unpack its root filesystem into DIR (see the file comment). */
export async function ociRootfs(o: OciRootfsOptions): Promise<OciRootfsResult> {
  const cwd = o.cwd ?? process.cwd();
  const env = o.env ?? process.env;
  const lo = o.logger ? { logger: o.logger } : {};
  const sig = o.signal ? { signal: o.signal } : {};
  const ref = parseImageRef(o.image, cwd);
  const explicitArch = o.arch !== undefined;
  const arch: string = explicitArch ? normalizeSystemdArch(o.arch!, '--arch') : hostSystemdArch();
  const ociArch = OCI_ARCH[arch]; // undefined on other hosts: skopeo then picks the host's
  const tlsVerify = o.tlsVerify ?? true;
  const creds = checkCreds(o, ref);
  const authfile = o.authfile !== undefined ? resolve(cwd, o.authfile) : undefined;
  if (authfile !== undefined && ref.transport !== 'docker') {
    throw new UsageError({
      code: 'OCI_AUTH_NOT_REGISTRY',
      message: `--authfile is for registry images, and ${o.image} is a local ${ref.transport} image`,
      hint: 'leave out --authfile',
      details: { field: '--authfile' },
    });
  }
  const dir = resolve(cwd, o.dir);
  await checkDestination(dir, o.dir, cwd, o.force === true);

  const skopeo = await requireTool('skopeo', {
    debianPackage: 'skopeo',
    purpose: 'fetch container images',
    env,
  });
  const umoci = await requireTool('umoci', {
    debianPackage: 'umoci',
    purpose: 'unpack container image layers',
    env,
  });
  const bwrap =
    o.run !== undefined
      ? await requireTool('bwrap', {
          debianPackage: 'bubblewrap',
          purpose: 'run --run inside the root filesystem',
          env,
        })
      : undefined;
  if (ref.path !== undefined && !(await exists(ref.path))) {
    throw new InputError({
      code: 'OCI_NO_SUCH_PATH',
      message: `IMAGE ${o.image}: ${ref.path} does not exist`,
      hint: `give the path of an existing ${ref.transport} image`,
      details: { field: 'IMAGE', path: ref.path },
    });
  }
  if (authfile !== undefined && !(await exists(authfile))) {
    throw new InputError({
      code: 'OCI_NO_AUTHFILE',
      message: `--authfile ${o.authfile} does not exist`,
      hint: "give the auth.json that 'podman login' or 'skopeo login' wrote, or use --creds USER:PASSWORD",
      details: { field: '--authfile' },
    });
  }

  const parent = dirname(dir);
  await mkdir(parent, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError({
      code: 'OCI_BAD_DIR',
      message: `DIR ${o.dir}: cannot create its parent ${parent} (${err.code ?? err.message})`,
      hint: 'give a DIR whose parent is (or can be made) a directory you can write',
      details: { field: 'DIR' },
      cause: err,
    });
  });
  // Next to DIR, so the final rename stays on one file system; relative names below keep a ':'
  // in the parent's path from being read as skopeo's or umoci's PATH:TAG separator.
  const scratch = await mkdtemp(join(parent, '.bakery-oci-rootfs-')).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError({
      code: 'OCI_BAD_DIR',
      message: `DIR ${o.dir}: cannot make a temp directory in ${parent} (${err.code ?? err.message})`,
      hint: 'the image is unpacked next to DIR and renamed into place: give a DIR in a directory you can write',
      details: { field: 'DIR' },
      cause: err,
    });
  });
  const unregister = onCleanup(() => removeTree(scratch), `remove ${scratch}`);
  try {
    await mkdir(join(scratch, 'tmp'));
    const inScratch = { cwd: scratch, env, ...lo, ...sig };
    const global = ['--tmpdir', join(scratch, 'tmp')];
    let auth: string[] = [];
    if (creds) {
      await writeFile(
        join(scratch, 'auth.json'),
        JSON.stringify({ auths: { [ref.registry!]: { auth: creds } } }),
        { mode: 0o600 },
      );
      auth = ['auth.json'];
    } else if (authfile) auth = [authfile];

    // The manifest (or index) first: its digest is what IMAGE is right now; copying by that
    // digest keeps a tag that moves meanwhile from mixing two images.
    o.logger?.info(`fetching ${o.image}${ociArch ? ` for ${arch}` : ''}`);
    const raw = await run(
      skopeo,
      [
        ...global,
        'inspect',
        '--raw',
        ...(ref.transport === 'docker' && !tlsVerify ? ['--tls-verify=false'] : []),
        ...(auth.length ? ['--authfile', auth[0]!] : []),
        '--',
        ref.skopeo,
      ],
      inScratch,
    ).catch((err: unknown) => {
      throw skopeoError(err, o.image, ref);
    });
    const digest = sourceDigest(raw.stdout);
    const reference = digest !== undefined ? pinnedDockerRef(ref, digest) : ref.skopeo;
    await run(
      skopeo,
      [
        ...global,
        ...(ociArch ? ['--override-arch', ociArch] : []),
        'copy',
        '--quiet',
        ...(ref.transport === 'docker' && !tlsVerify ? ['--src-tls-verify=false'] : []),
        ...(auth.length ? ['--src-authfile', auth[0]!] : []),
        '--',
        reference,
        'oci:layout:image',
      ],
      inScratch,
    ).catch((err: unknown) => {
      throw skopeoError(err, o.image, ref);
    });

    const img = await readLayoutImage(join(scratch, 'layout'), 'image');
    checkArch(img.architecture, ociArch, arch, explicitArch, o.image);
    o.logger?.info(`unpacking ${img.layers} layer${img.layers === 1 ? '' : 's'} of ${o.image}`);
    await run(
      umoci,
      ['--log', 'error', 'raw', 'unpack', '--rootless', '--image', 'layout:image', 'rootfs'],
      inScratch,
    ).catch((err: unknown) => {
      throw new OperationError({
        code: 'OCI_UNPACK_FAILED',
        message: `umoci could not unpack ${o.image}: ${errorMessage(err)}`,
        hint: 'the image layers may be corrupt or use a format umoci does not read; see the umoci message above',
        cause: err,
      });
    });
    const rootfs = join(scratch, 'rootfs');
    if (o.run !== undefined && bwrap) {
      await runInRootfs({
        rootfs,
        command: o.run,
        image: o.image,
        bwrap,
        env: img.env,
        hostEnv: env,
        ...lo,
        ...sig,
      });
    }
    const files = await countEntries(rootfs);
    await moveIntoPlace(rootfs, dir, scratch, o.dir, o.force === true);
    o.logger?.info(`${o.image}: ${files} entries in ${dir}`);
    return {
      image: o.image,
      reference,
      dir,
      digest,
      manifestDigest: img.manifestDigest,
      arch: img.architecture ? (SYSEXT_ARCH[img.architecture] ?? img.architecture) : arch,
      os: img.os,
      layers: img.layers,
      files,
      ran: o.run !== undefined,
    };
  } finally {
    await removeTree(scratch);
    unregister();
  }
}

// --creds USER:PASSWORD becomes a private auth.json for skopeo, so the password is never on a
// command line (ps) nor in an error that quotes one; it is still registered with the redactor.
function checkCreds(o: OciRootfsOptions, ref: ImageRef): string | undefined {
  if (o.creds === undefined) return undefined;
  const i = o.creds.indexOf(':');
  const password = i >= 0 ? o.creds.slice(i + 1) : '';
  registerSecret(password);
  registerSecret(o.creds);
  if (ref.transport !== 'docker') {
    throw new UsageError({
      code: 'OCI_AUTH_NOT_REGISTRY',
      message: `--creds is for registry images, and ${o.image} is a local ${ref.transport} image`,
      hint: 'leave out --creds',
      details: { field: '--creds' },
    });
  }
  if (o.authfile !== undefined) {
    throw new UsageError({
      code: 'OCI_AUTH_TWICE',
      message: '--creds and --authfile were both given',
      hint: 'give one of them',
      details: { field: '--creds' },
    });
  }
  if (i <= 0 || password === '') {
    throw new UsageError({
      code: 'OCI_BAD_CREDS',
      message: '--creds must be USER:PASSWORD (the value given has no user or no password)',
      hint: 'e.g. --creds robot:TOKEN, or --authfile with the auth.json of podman/skopeo login',
      details: { field: '--creds' },
    });
  }
  const auth = Buffer.from(o.creds, 'utf8').toString('base64');
  registerSecret(auth);
  return auth;
}

async function checkDestination(dir: string, given: string, cwd: string, force: boolean): Promise<void> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory() && (await readdir(dir)).length === 0) return;
  if (!force) {
    throw new UsageError({
      code: 'OCI_DIR_EXISTS',
      message: `DIR ${given} already exists and is ${st.isDirectory() ? 'not empty' : 'not a directory'}`,
      hint: 'give a new (or empty) directory, or pass --force to replace it',
      details: { field: 'DIR', path: dir },
    });
  }
  if (dir === sep || cwd === dir || cwd.startsWith(dir + sep)) {
    throw new UsageError({
      code: 'OCI_DIR_UNSAFE',
      message: `DIR ${given} is / or contains the current directory; --force will not replace it`,
      hint: 'give a directory of its own for the root filesystem',
      details: { field: 'DIR', path: dir },
    });
  }
}

// The finished tree takes DIR's place in one rename (rename(2) replaces an empty directory); a
// replaced DIR moves into the scratch directory first and is deleted with it.
async function moveIntoPlace(
  rootfs: string,
  dir: string,
  scratch: string,
  given: string,
  force: boolean,
): Promise<void> {
  const st = await lstat(dir).catch(() => undefined);
  let old: string | undefined;
  if (st && !(st.isDirectory() && (await readdir(dir)).length === 0)) {
    if (!force)
      throw new UsageError({
        code: 'OCI_DIR_EXISTS',
        message: `DIR ${given} was filled while the image was unpacked`,
        hint: 'give a new directory, or pass --force to replace it',
        details: { field: 'DIR', path: dir },
      });
    old = join(scratch, 'replaced');
    await rename(dir, old);
  }
  try {
    await rename(rootfs, dir);
  } catch (err) {
    if (old) await rename(old, dir).catch(() => {});
    throw new OperationError({
      code: 'OCI_RENAME_FAILED',
      message: `could not move the root filesystem to DIR ${given}: ${errorMessage(err)}`,
      hint: 'check that DIR is not a mount point and that its parent is writable',
      cause: err,
    });
  }
  // umoci gives the tree's top directory the mode of the image's `/`; keep it searchable for us.
  const top = await lstat(dir);
  if ((top.mode & 0o700) !== 0o700) await chmod(dir, (top.mode & 0o7777) | 0o700);
}

function checkArch(
  imageArch: string | undefined,
  ociArch: string | undefined,
  arch: string,
  explicit: boolean,
  image: string,
): void {
  if (!imageArch || !ociArch || imageArch === ociArch) return;
  const theirs = SYSEXT_ARCH[imageArch] ?? imageArch;
  throw new OperationError({
    code: 'OCI_ARCH_MISMATCH',
    message: `${image} is an image for ${theirs}, not ${arch}${explicit ? '' : ' (this machine)'}`,
    hint:
      explicit || !SYSEXT_ARCH[imageArch]
        ? `use a tag or image built for ${arch}`
        : `pass --arch ${theirs} to unpack it anyway`,
    details: { field: '--arch', image: imageArch, wanted: ociArch },
  });
}

// schema 1 manifests are signed JWS whose digest is not the hash of the bytes: report none.
function sourceDigest(raw: string): string | undefined {
  try {
    const m = JSON.parse(raw) as { schemaVersion?: number };
    if (m.schemaVersion === 1) return undefined;
  } catch {
    return undefined;
  }
  return manifestDigest(raw);
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}
