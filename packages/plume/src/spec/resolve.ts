import { UsageError } from '@mantle/core/errors';
import type {
  AwsSpec,
  AzureGallerySpec,
  AzureSpec,
  GceSpec,
  ReleaseSpec,
  StorageDestinationSpec,
} from './schema.js';

/** What names one release: `-C CHANNEL -B BOARD -V VERSION`. */
export interface ReleaseId {
  channel: string;
  board: string;
  version: string;
}

export interface ResolvedAws extends AwsSpec {
  /** `<baseName>-<channel>-<version>[-arm64]`, characters AWS refuses replaced by `_` */
  imageName: string;
  /** the registered AMI's name: imageName + `-hvm` */
  amiName: string;
  description: string;
}

export interface ResolvedGce extends GceSpec {
  /** `<family>-<version, . and + as ->[-arm64]`, lower case */
  imageName: string;
}

export interface ResolvedAzure extends AzureSpec {
  gallery?: AzureGallerySpec & { version: string };
}

export interface ResolvedStorage extends StorageDestinationSpec {
  title: string;
}

/** One channel × board × version with every placeholder filled: what pre-release and release do. */
export interface ResolvedRelease extends ReleaseId {
  /** the board without `-usr` (amd64, arm64) */
  arch: string;
  description: string;
  /** the build's directory URL, ending in `/` */
  source: string;
  verifyKey?: string;
  aws?: ResolvedAws;
  gce?: ResolvedGce;
  azure?: ResolvedAzure;
  storage: ResolvedStorage[];
}

const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/;
/** Shown for the version when a spec is shown without -V. */
export const VERSION_PLACEHOLDER = '{version}';

/** Fill `{channel} {board} {arch} {version}`. */
export function fill(template: string, id: ReleaseId & { arch: string }): string {
  return template.replace(/\{(channel|board|arch|version)\}/g, (_m, k: keyof ReleaseId | 'arch') => id[k]);
}

/** The board's architecture name: amd64-usr → amd64. */
export function archOf(board: string): string {
  return board.replace(/-usr$/, '');
}

/** Check -C/-B (and -V when given) against the spec: a usage error lists what exists. */
export function checkChannelBoard(spec: ReleaseSpec, channel: string, board?: string): void {
  const ch = spec.channels[channel];
  if (!ch)
    throw new UsageError({
      code: 'PLUME_UNKNOWN_CHANNEL',
      message: `-C ${channel}: no such channel in the release spec`,
      hint: `channels: ${Object.keys(spec.channels).join(', ')}`,
      details: { flag: '--channel', value: channel },
    });
  if (board !== undefined && !ch.boards.includes(board))
    throw new UsageError({
      code: 'PLUME_UNKNOWN_BOARD',
      message: `-B ${board}: channel ${channel} has no board ${board}`,
      hint: `boards of ${channel}: ${ch.boards.join(', ')}`,
      details: { flag: '--board', value: board },
    });
}

/** Check a -V value. */
export function checkVersion(version: string): void {
  if (!VERSION.test(version))
    throw new UsageError({
      code: 'PLUME_BAD_VERSION',
      message: `-V ${JSON.stringify(version)} is not a release version`,
      hint: 'pass a version such as 4081.2.0 or 4081.2.0+nightly-20250101-2100',
      details: { flag: '--version', value: version },
    });
}

const applies = (d: { boards?: string[] | undefined }, board: string): boolean =>
  d.boards === undefined || d.boards.includes(board);

/** The release -C/-B/-V describes, every string filled in. */
export function resolveRelease(spec: ReleaseSpec, id: ReleaseId): ResolvedRelease {
  checkChannelBoard(spec, id.channel, id.board);
  if (id.version !== VERSION_PLACEHOLDER) checkVersion(id.version);
  const ch = spec.channels[id.channel]!;
  const arch = archOf(id.board);
  const ids = { ...id, arch };
  const f = (t: string): string => fill(t, ids);
  const archTag = arch === 'amd64' ? '' : `-${arch}`;
  const source = f(ch.source);
  const out: ResolvedRelease = {
    ...id,
    arch,
    description: ch.description,
    source: source.endsWith('/') ? source : `${source}/`,
    ...(ch.verifyKey !== undefined ? { verifyKey: ch.verifyKey } : {}),
    storage: ch.storage
      .filter((s) => applies(s, id.board))
      .map((s) => {
        const url = f(s.url);
        return {
          ...s,
          url,
          title: s.title ?? storeName(url),
          paths: s.paths.map((p) => f(p).replace(/^\/+|\/+$/g, '')),
        };
      }),
  };
  if (ch.aws && applies(ch.aws, id.board)) {
    // AMI names allow only these; the placeholder of `spec show` stays readable.
    const refused = id.version === VERSION_PLACEHOLDER ? /[^A-Za-z0-9()./_{}-]/g : /[^A-Za-z0-9()./_-]/g;
    const imageName = `${ch.aws.baseName}-${id.channel}-${id.version}${archTag}`.replace(refused, '_');
    out.aws = {
      ...ch.aws,
      image: f(ch.aws.image),
      imageName,
      amiName: `${imageName}-hvm`,
      description: `${ch.aws.baseDescription} ${id.channel} ${id.version}${archTag.replace('-', ' ')}`,
    };
  }
  if (ch.gce && applies(ch.gce, id.board)) {
    out.gce = {
      ...ch.gce,
      image: f(ch.gce.image),
      staging: f(ch.gce.staging),
      imageName: `${ch.gce.family}-${id.version.replace(/[.+_]/g, '-')}${archTag}`.toLowerCase(),
    };
  }
  if (ch.azure && applies(ch.azure, id.board)) {
    const { gallery, ...azure } = ch.azure;
    out.azure = {
      ...azure,
      image: f(azure.image),
      blobs: f(azure.blobs),
      blobName: f(azure.blobName),
      ...(gallery
        ? {
            gallery: {
              ...gallery,
              imageDefinition: f(gallery.imageDefinition),
              // Gallery versions are Major.Minor.Patch integers: a Flatcar version's first three.
              version: galleryVersion(id.version),
            },
          }
        : {}),
    };
  }
  return out;
}

/** A gallery image version (three integers) from a release version: 4081.2.0+x → 4081.2.0. */
export function galleryVersion(version: string): string {
  if (version === VERSION_PLACEHOLDER) return version;
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m)
    throw new UsageError({
      code: 'PLUME_BAD_VERSION',
      message: `-V ${version}: an Azure gallery image version needs MAJOR.MINOR.PATCH numbers`,
      hint: 'pass a version such as 4081.2.0, or remove azure.gallery from the channel in the spec',
      details: { flag: '--version', value: version },
    });
  return `${Number(m[1])}.${Number(m[2])}.${Number(m[3])}`;
}

/** The bucket/container name of a store URL, for page titles. */
export function storeName(url: string): string {
  const parts = url
    .replace(/^[a-z0-9]+:\/\//, '')
    .split('/')
    .filter(Boolean);
  if (url.startsWith('azure://')) return parts[1] ?? url;
  if (url.startsWith('file://')) return parts.at(-1) ?? '/';
  return parts[0] ?? url;
}
