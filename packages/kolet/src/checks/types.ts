import type { MatcherResult } from './matchers/matcher.js';

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
  'matching',
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
  matching: 'Matching',
};

/**
 * What an attribute is expected to be, as written: a value (string, number, boolean, list)
 * or a matcher mapping such as `{have-prefix: x}` (goss's `matcher`). Compiled when checked.
 */
export type Expectation = unknown;

/** Keys every resource accepts besides its own properties. */
export interface CommonProps {
  /** report every property of this resource as skipped */
  skip?: boolean;
  /** shown in reports before the resource's results */
  title?: string;
  /** free-form data carried into reports */
  meta?: unknown;
}

export interface UserProps extends CommonProps {
  username?: string;
  exists?: Expectation;
  uid?: Expectation;
  gid?: Expectation;
  groups?: Expectation;
  home?: Expectation;
  shell?: Expectation;
}

export interface GroupProps extends CommonProps {
  groupname?: string;
  exists?: Expectation;
  gid?: Expectation;
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
  path?: string;
  exists?: Expectation;
  /** four octal digits as text, e.g. "0644" (what the system value is) */
  mode?: Expectation;
  size?: Expectation;
  owner?: Expectation;
  uid?: Expectation;
  group?: Expectation;
  gid?: Expectation;
  'linked-to'?: Expectation;
  filetype?: Expectation;
  /** the old name of contents (goss warns it is deprecated) */
  contains?: Expectation;
  contents?: Expectation;
  md5?: Expectation;
  sha256?: Expectation;
  sha512?: Expectation;
}

export interface ServiceProps extends CommonProps {
  name?: string;
  enabled?: Expectation;
  running?: Expectation;
  runlevels?: Expectation;
}

export interface ProcessProps extends CommonProps {
  comm?: string;
  running?: Expectation;
}

export interface PortProps extends CommonProps {
  port?: string;
  listening?: Expectation;
  ip?: Expectation;
}

export interface KernelParamProps extends CommonProps {
  name?: string;
  value?: Expectation;
}

export interface MountProps extends CommonProps {
  mountpoint?: string;
  exists?: Expectation;
  opts?: Expectation;
  'vfs-opts'?: Expectation;
  source?: Expectation;
  filesystem?: Expectation;
  /** percent of blocks used */
  usage?: Expectation;
  /** milliseconds (default 1 s) */
  timeout?: number;
}

export interface CommandProps extends CommonProps {
  /** the shell command line (default: the resource key) */
  exec?: string;
  'exit-status'?: Expectation;
  stdout?: Expectation;
  stderr?: Expectation;
  /** milliseconds (default 10 s) */
  timeout?: number;
  /** more attempts while a check fails (goss's retry_count) */
  retry_count?: number;
  /** milliseconds between attempts (default 1 s) */
  retry_delay?: number;
}

export interface DnsProps extends CommonProps {
  /** the name to resolve (default: the key, without a `TYPE:` prefix) */
  resolve?: string;
  resolvable?: Expectation;
  /** goss's old spelling of resolvable */
  resolveable?: Expectation;
  addrs?: Expectation;
  /** query this server (ip or ip:port) instead of the system resolver */
  server?: string;
  /** milliseconds (default 500, as goss) */
  timeout?: number;
  retry_count?: number;
  retry_delay?: number;
}

export interface HttpProps extends CommonProps {
  url?: string;
  method?: string;
  status?: Expectation;
  'allow-insecure'?: boolean;
  'no-follow-redirects'?: boolean;
  /** milliseconds (default 5 s) */
  timeout?: number;
  'request-headers'?: string[];
  'request-body'?: string;
  /** patterns (or a matcher) for the `Name: value` lines of the response headers */
  headers?: Expectation;
  body?: Expectation;
  username?: string;
  password?: string;
  'ca-file'?: string;
  'cert-file'?: string;
  'key-file'?: string;
  proxy?: string;
}

export interface PackageProps extends CommonProps {
  name?: string;
  installed?: Expectation;
  versions?: Expectation;
  retry_count?: number;
  retry_delay?: number;
}

export interface AddrProps extends CommonProps {
  address?: string;
  'local-address'?: string;
  reachable?: Expectation;
  /** milliseconds (default 500, as goss) */
  timeout?: number;
}

export interface InterfaceProps extends CommonProps {
  name?: string;
  exists?: Expectation;
  addrs?: Expectation;
  mtu?: Expectation;
}

export interface MatchingProps extends CommonProps {
  /** the value to check (any YAML value) */
  content?: unknown;
  /** check the content as text, line by line (as file contents are) */
  'as-reader'?: boolean;
  matches?: Expectation;
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
  matching: MatchingProps;
}

/** One resource of a spec: its kind, key and validated properties, and where it was written. */
export type Resource = {
  [K in CheckKind]: {
    kind: K;
    id: string;
    props: KindProps[K];
    /** line of its key in the (template) source */
    line: number;
    /** column of its key */
    col?: number;
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
  /** what is worth telling but does not stop the run (file:line:col: message) */
  warnings?: string[];
}

/** goss's result codes: 0 success, 1 fail, 2 skip. */
export type CheckStatus = 'pass' | 'fail' | 'skip';

/** One checked property of one resource (goss's TestResult). */
export interface CheckResult {
  kind: CheckKind;
  /** goss's resource-type: User, File, Port, ... */
  resourceType: string;
  /** the resource's key in the spec (`key: alias` when an alias attribute names another) */
  resourceId: string;
  /** '' when none */
  title: string;
  /** null when none */
  meta: unknown;
  property: string;
  status: CheckStatus;
  /** why the check could not decide (a system error, a matcher that cannot apply) */
  err?: string;
  matcherResult: MatcherResult;
  /** milliseconds since the epoch */
  startTime: number;
  endTime: number;
  durationNs: number;
  /** index of the resource in the spec: results of one resource are reported together */
  group: number;
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
  /** goss's warnings from the run (empty lists that assert nothing, deprecated spellings) */
  warnings?: string[];
}
