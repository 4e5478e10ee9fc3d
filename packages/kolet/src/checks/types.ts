import type { Pattern } from './matchers.js';

/** The resource kinds a check spec has, under the same top-level keys as goss. */
export const CHECK_KINDS = [
  'user',
  'group',
  'file',
  'service',
  'process',
  'port',
  'kernel-param',
  'mount',
  'command',
  'dns',
  'http',
  'package',
  'addr',
  'interface',
] as const;

export type CheckKind = (typeof CHECK_KINDS)[number];

/** How each kind is titled in results (goss's resource-type spelling). */
export const KIND_TITLES: Readonly<Record<CheckKind, string>> = {
  user: 'User',
  group: 'Group',
  file: 'File',
  service: 'Service',
  process: 'Process',
  port: 'Port',
  'kernel-param': 'KernelParam',
  mount: 'Mount',
  command: 'Command',
  dns: 'DNS',
  http: 'HTTP',
  package: 'Package',
  addr: 'Addr',
  interface: 'Interface',
};

/** Keys every resource accepts besides its own properties. */
export interface CommonProps {
  /** report every property of this resource as skipped */
  skip?: boolean;
  /** shown in results instead of nothing; informative only */
  title?: string;
  /** free-form data carried into JSON results */
  meta?: unknown;
}

export interface UserProps extends CommonProps {
  exists?: boolean;
  uid?: number;
  gid?: number;
  /** every group the user is in, primary included (compared as a set) */
  groups?: string[];
  home?: string;
  shell?: string;
}

export interface GroupProps extends CommonProps {
  exists?: boolean;
  gid?: number;
}

export const FILE_TYPES = [
  'file',
  'directory',
  'symlink',
  'character-device',
  'block-device',
  'pipe',
  'socket',
] as const;
export type FileType = (typeof FILE_TYPES)[number];

export interface FileProps extends CommonProps {
  exists?: boolean;
  /** four octal digits, e.g. "0644" (permission and set-id/sticky bits) */
  mode?: string;
  owner?: string;
  group?: string;
  filetype?: FileType;
  'linked-to'?: string;
  /** patterns the content must match: strings, /regex/, !negated */
  contains?: Pattern[];
  sha256?: string;
  size?: number;
}

export interface ServiceProps extends CommonProps {
  enabled?: boolean;
  running?: boolean;
}

export interface ProcessProps extends CommonProps {
  running?: boolean;
}

export interface PortProps extends CommonProps {
  listening?: boolean;
  /** the local addresses listening on the port (compared as a set) */
  ip?: string[];
}

export interface KernelParamProps extends CommonProps {
  value?: string;
}

export interface MountProps extends CommonProps {
  exists?: boolean;
  /** per-mount options that must all be present (e.g. rw, nosuid) */
  opts?: string[];
  /** superblock options that must all be present */
  'vfs-opts'?: string[];
  source?: string;
  filesystem?: string;
}

export interface CommandProps extends CommonProps {
  /** the shell command line (default: the resource key) */
  exec?: string;
  'exit-status'?: number;
  stdout?: Pattern[];
  stderr?: Pattern[];
  /** milliseconds (default 10 s) */
  timeout?: number;
}

export interface DnsProps extends CommonProps {
  resolvable?: boolean;
  /** addresses that must all be among the resolved ones */
  addrs?: string[];
  /** query this server (ip or ip:port) instead of the system resolver */
  server?: string;
  /** milliseconds (default 2 s) */
  timeout?: number;
}

export interface HttpProps extends CommonProps {
  status?: number;
  body?: Pattern[];
  /** patterns matched against `Name: value` lines of the response headers (names spelled Content-Type) */
  headers?: Pattern[];
  'allow-insecure'?: boolean;
  'no-follow-redirects'?: boolean;
  method?: string;
  'request-headers'?: string[];
  'request-body'?: string;
  /** milliseconds (default 5 s) */
  timeout?: number;
}

export interface PackageProps extends CommonProps {
  installed?: boolean;
  /** versions that must all be installed */
  versions?: string[];
}

export interface AddrProps extends CommonProps {
  reachable?: boolean;
  /** milliseconds (default 1 s) */
  timeout?: number;
}

export interface InterfaceProps extends CommonProps {
  exists?: boolean;
  /** `address/prefix` entries that must all be on the interface (canonical spelling) */
  addrs?: string[];
  mtu?: number;
}

/** Property types per kind. */
export interface KindProps {
  user: UserProps;
  group: GroupProps;
  file: FileProps;
  service: ServiceProps;
  process: ProcessProps;
  port: PortProps;
  'kernel-param': KernelParamProps;
  mount: MountProps;
  command: CommandProps;
  dns: DnsProps;
  http: HttpProps;
  package: PackageProps;
  addr: AddrProps;
  interface: InterfaceProps;
}

/** One resource of a spec: its kind, key and validated properties, and where it was written. */
export type Resource = {
  [K in CheckKind]: {
    kind: K;
    id: string;
    props: KindProps[K];
    /** line of its key in the (template) source */
    line: number;
    /** the spec file it is written in (an included one, with gossfile) */
    file?: string;
  };
}[CheckKind];

/** An entry of a spec's `gossfile` section. */
export interface SpecInclude {
  /** the key as written */
  key: string;
  /** the path or glob to include: `file` when given, else the key; relative to the including file */
  path: string;
  skip: boolean;
  line: number;
  col: number;
}

/** A validated check spec: resources in the order they were written. */
export interface CheckSpec {
  /** the file it came from, for messages ('-' for stdin, '<inline>' for text) */
  file: string;
  resources: Resource[];
  /**
   * `gossfile` entries not loaded: parseCheckSpec reads no files. loadCheckSpec loads them
   * (their resources are in `resources`) and leaves this out.
   */
  includes?: SpecInclude[];
  /** every file read, the given one first (loadCheckSpec) */
  files?: string[];
  /** what is worth telling but does not stop the run, e.g. an included file redefining a resource */
  warnings?: string[];
}

export type CheckStatus = 'pass' | 'fail' | 'skip';

/** One checked property of one resource. */
export interface CheckResult {
  kind: CheckKind;
  /** goss's resource-type: User, File, Port, ... */
  resourceType: string;
  /** the resource's key in the spec */
  resourceId: string;
  title: string | undefined;
  property: string;
  status: CheckStatus;
  expected: unknown;
  found: unknown;
  /** one line for people: what matched or why not */
  message: string;
  durationMs: number;
  meta?: unknown;
}

export interface CheckSummary {
  count: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

/** Everything a check run found. */
export interface CheckReport {
  file: string;
  results: CheckResult[];
  summary: CheckSummary;
}
