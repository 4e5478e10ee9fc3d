import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '@mantle/core/errors';

// Image references as skopeo understands them. A bare name (`alpine:latest`,
// `127.0.0.1:5000/test/img@sha256:...`) means a registry (`docker://`), the way docker, podman and
// sysext-bakery's oci-rootfs.sh read it. The prefix before the first ':' is taken as a transport
// only when it is one of the names below, so `localhost:5000/x` stays a registry reference; an
// image really named like a transport is written `docker://oci:latest`.

/** The transports `bakery oci-rootfs` pulls from. */
const IMAGE_TRANSPORTS = ['docker', 'oci', 'oci-archive', 'docker-archive', 'dir'] as const;
type ImageTransport = (typeof IMAGE_TRANSPORTS)[number];

// skopeo knows these too, but they need a daemon or storage this command does not set up.
const OTHER_TRANSPORTS = ['containers-storage', 'docker-daemon', 'ostree', 'sif', 'tarball'];

export interface ImageRef {
  transport: ImageTransport;
  /** the reference handed to skopeo, e.g. `docker://alpine:latest`, `oci:/abs/layout:tag` */
  skopeo: string;
  /** docker: the repository as written, without tag or digest (`alpine`, `127.0.0.1:5000/test/img`) */
  repository?: string;
  /** docker: the registry host the repository lives on (`docker.io` when none is written) */
  registry?: string;
  /** docker: the tag, when one is written */
  tag?: string;
  /** docker: the digest, when one is written (`sha256:...`) */
  digest?: string;
  /** local transports: the absolute path of the layout, archive or directory */
  path?: string;
  /** oci/oci-archive/docker-archive: what follows the path (tag, ref name or @index) */
  ref?: string;
}

const HINT =
  'write NAME[:TAG|@DIGEST] for a registry (e.g. alpine:latest, 127.0.0.1:5000/team/img@sha256:...), or oci:PATH[:TAG], oci-archive:PATH[:TAG], docker-archive:PATH[:REF], dir:PATH';

// distribution/reference's grammar, written out.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const SHA256_RE = /^sha256:[0-9a-f]{64}$/;

function bad(input: string, why: string): UsageError {
  return new UsageError({
    code: 'OCI_BAD_REFERENCE',
    message: `IMAGE ${JSON.stringify(input)}: ${why}`,
    hint: HINT,
    details: { field: 'IMAGE', value: input },
  });
}

/** Parse IMAGE; local paths are made absolute against `cwd`. Throws a UsageError (exit 2) naming IMAGE. */
export function parseImageRef(input: string, cwd: string): ImageRef {
  if (input.trim() === '' || /\s/.test(input)) throw bad(input, 'is empty or contains whitespace');
  if (input.startsWith('docker://')) return parseDocker(input, input.slice('docker://'.length));
  const colon = input.indexOf(':');
  const prefix = colon > 0 ? input.slice(0, colon) : '';
  if (prefix === 'docker') throw bad(input, 'the docker transport is written docker://NAME');
  if (OTHER_TRANSPORTS.includes(prefix))
    throw bad(input, `the ${prefix} transport is not supported (use ${IMAGE_TRANSPORTS.join(', ')})`);
  if ((IMAGE_TRANSPORTS as readonly string[]).includes(prefix))
    return parseLocal(input, prefix as Exclude<ImageTransport, 'docker'>, input.slice(colon + 1), cwd);
  return parseDocker(input, input);
}

function parseDocker(input: string, ref: string): ImageRef {
  if (ref === '') throw bad(input, 'names no image');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest) || (digest.startsWith('sha256:') && !SHA256_RE.test(digest)))
      throw bad(input, `${JSON.stringify(digest)} is not a digest (sha256: and 64 lowercase hex digits)`);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG_RE.test(tag))
      throw bad(
        input,
        `${JSON.stringify(tag)} is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)`,
      );
  }
  if (rest.length > 255) throw bad(input, 'the repository name is longer than 255 characters');
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  // The first component is a registry host when it looks like one (docker's rule).
  const hasDomain =
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (hasDomain && !DOMAIN_RE.test(first))
    throw bad(input, `${JSON.stringify(first)} is not a registry host[:port]`);
  const pathParts = hasDomain ? parts.slice(1) : parts;
  for (const p of pathParts) {
    if (!PATH_COMPONENT_RE.test(p))
      throw bad(
        input,
        `${JSON.stringify(p)} is not a valid repository name component (lowercase letters, digits and . _ - between them)`,
      );
  }
  return {
    transport: 'docker',
    skopeo: `docker://${ref}`,
    repository: rest,
    registry: hasDomain ? first : 'docker.io',
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

function parseLocal(
  input: string,
  transport: Exclude<ImageTransport, 'docker'>,
  spec: string,
  cwd: string,
): ImageRef {
  // skopeo splits PATH from what follows at the first ':' (dir: takes no suffix).
  let path = spec;
  let ref: string | undefined;
  if (transport !== 'dir') {
    const c = spec.indexOf(':');
    if (c >= 0) {
      path = spec.slice(0, c);
      ref = spec.slice(c + 1);
      if (ref === '')
        throw bad(
          input,
          `nothing follows the ':' after the path (give ${transport}:PATH or ${transport}:PATH:REF)`,
        );
    }
  }
  if (path === '') throw bad(input, `names no path (give ${transport}:PATH)`);
  const abs = isAbsolute(path) ? resolve(path) : resolve(cwd, path);
  return {
    transport,
    skopeo: `${transport}:${abs}${ref !== undefined ? `:${ref}` : ''}`,
    path: abs,
    ...(ref !== undefined ? { ref } : {}),
  };
}

/** The docker reference pinned to a manifest digest (tag dropped: skopeo takes one or the other). */
export function pinnedDockerRef(ref: ImageRef, digest: string): string {
  if (ref.transport !== 'docker' || ref.repository === undefined) return ref.skopeo;
  return `docker://${ref.repository}@${digest}`;
}
