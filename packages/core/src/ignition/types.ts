// TypeScript shape of an Ignition 3.x config: the 3.4.0 superset (older versions lack some
// keys; validateIgnition() checks which ones a given version may use).
import type { IgnitionVersion } from './versions.js';

/** A file owner or group: by numeric id or by name, not both. */
export interface IgnitionOwner {
  id?: number;
  name?: string;
}

/** One HTTP header sent when fetching a remote resource (3.1+). */
export interface IgnitionHttpHeader {
  name: string;
  value?: string;
}

/** Where a file, config or key comes from: a URL (http(s), tftp, s3, gs, arn, data). */
export interface IgnitionResource {
  /** '' (none) or 'gzip': how the fetched bytes are compressed */
  compression?: string;
  httpHeaders?: IgnitionHttpHeader[];
  source?: string;
  verification?: { hash?: string };
}

/** Fields every filesystem node (file, directory, link) has. */
export interface IgnitionNode {
  group?: IgnitionOwner;
  overwrite?: boolean;
  path: string;
  user?: IgnitionOwner;
}

/** storage.files[] */
export interface IgnitionFile extends IgnitionNode {
  append?: IgnitionResource[];
  contents?: IgnitionResource;
  /** permission bits as a decimal integer (0644 → 420) */
  mode?: number;
}

/** storage.directories[] */
export interface IgnitionDirectory extends IgnitionNode {
  mode?: number;
}

/** storage.links[] */
export interface IgnitionLink extends IgnitionNode {
  hard?: boolean;
  target?: string;
}

/** storage.disks[].partitions[] */
export interface IgnitionPartition {
  guid?: string;
  label?: string;
  number?: number;
  resize?: boolean;
  shouldExist?: boolean;
  sizeMiB?: number;
  startMiB?: number;
  typeGuid?: string;
  wipePartitionEntry?: boolean;
}

/** storage.disks[] */
export interface IgnitionDisk {
  device: string;
  partitions?: IgnitionPartition[];
  wipeTable?: boolean;
}

/** storage.filesystems[] */
export interface IgnitionFilesystem {
  device: string;
  format?: string;
  label?: string;
  mountOptions?: string[];
  options?: string[];
  path?: string;
  uuid?: string;
  wipeFilesystem?: boolean;
}

/** storage.luks[] (3.2+) */
export interface IgnitionLuks {
  clevis?: {
    custom?: { config?: string; needsNetwork?: boolean; pin?: string };
    tang?: { advertisement?: string; thumbprint?: string; url?: string }[];
    threshold?: number;
    tpm2?: boolean;
  };
  device?: string;
  discard?: boolean;
  keyFile?: IgnitionResource;
  label?: string;
  name: string;
  openOptions?: string[];
  options?: string[];
  uuid?: string;
  wipeVolume?: boolean;
}

/** storage.raid[] */
export interface IgnitionRaid {
  devices?: string[];
  level?: string;
  name: string;
  options?: string[];
  spares?: number;
}

/** systemd.units[].dropins[] */
export interface IgnitionDropin {
  contents?: string;
  name: string;
}

/** systemd.units[] */
export interface IgnitionUnit {
  contents?: string;
  dropins?: IgnitionDropin[];
  enabled?: boolean;
  mask?: boolean;
  name: string;
}

/** passwd.users[] */
export interface IgnitionUser {
  gecos?: string;
  groups?: string[];
  homeDir?: string;
  name: string;
  noCreateHome?: boolean;
  noLogInit?: boolean;
  noUserGroup?: boolean;
  passwordHash?: string;
  primaryGroup?: string;
  sshAuthorizedKeys?: string[];
  shell?: string;
  shouldExist?: boolean;
  system?: boolean;
  uid?: number;
}

/** passwd.groups[] */
export interface IgnitionGroup {
  gid?: number;
  name: string;
  passwordHash?: string;
  shouldExist?: boolean;
  system?: boolean;
}

/** An Ignition 3.x config. */
export interface IgnitionConfig {
  ignition: {
    config?: { merge?: IgnitionResource[]; replace?: IgnitionResource };
    proxy?: { httpProxy?: string; httpsProxy?: string; noProxy?: string[] };
    security?: { tls?: { certificateAuthorities?: IgnitionResource[] } };
    timeouts?: { httpResponseHeaders?: number; httpTotal?: number };
    version: IgnitionVersion;
  };
  kernelArguments?: { shouldExist?: string[]; shouldNotExist?: string[] };
  passwd?: { groups?: IgnitionGroup[]; users?: IgnitionUser[] };
  storage?: {
    directories?: IgnitionDirectory[];
    disks?: IgnitionDisk[];
    files?: IgnitionFile[];
    filesystems?: IgnitionFilesystem[];
    links?: IgnitionLink[];
    luks?: IgnitionLuks[];
    raid?: IgnitionRaid[];
  };
  systemd?: { units?: IgnitionUnit[] };
}
