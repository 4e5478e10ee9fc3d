import { z } from 'zod';
import { MAX_TIMER_MS } from '@mantle/core/time';
import { parseDurationMs } from './duration.js';
import type { CheckKind } from './types.js';

// Messages say what was expected; the parser adds the kind, key, property, value and line.
// Attributes that are checked take any value (goss's `matcher`): whether it makes sense is
// decided when the check runs, as goss decides it. Attributes that shape how a check runs
// (exec, timeout, method, ...) are typed as goss types them.
const bool = z.boolean({ error: 'expected true or false' });
const text = z.string({ error: 'expected a string' });
const expectation = z.unknown().optional();

const duration = z
  .union([z.number(), z.string()], { error: 'expected milliseconds or a duration such as 5s' })
  .transform((v, ctx) => {
    const ms = parseDurationMs(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected milliseconds or a duration such as 5s' });
      return z.NEVER;
    }
    if (ms > MAX_TIMER_MS) {
      ctx.addIssue({ code: 'custom', message: `${String(v)} is longer than the maximum of 24h` });
      return z.NEVER;
    }
    return ms;
  });

const count = z
  .number({ error: 'expected a whole number' })
  .int({ error: 'expected a whole number' })
  .min(0, { error: 'expected 0 or more' });

const common = {
  skip: bool.optional(),
  title: text.optional(),
  meta: z.unknown().optional(),
};

const retry = { retry_count: count.optional(), retry_delay: duration.optional() };

/** The attributes each kind accepts, goss's spelling (unknown keys are errors, as in goss). */
export const PROPS_SCHEMAS = {
  user: z.strictObject({
    ...common,
    username: text.optional(),
    exists: expectation,
    uid: expectation,
    gid: expectation,
    groups: expectation,
    home: expectation,
    shell: expectation,
  }),
  group: z.strictObject({ ...common, groupname: text.optional(), exists: expectation, gid: expectation }),
  file: z.strictObject({
    ...common,
    path: text.optional(),
    exists: expectation,
    mode: expectation,
    size: expectation,
    owner: expectation,
    uid: expectation,
    group: expectation,
    gid: expectation,
    'linked-to': expectation,
    filetype: expectation,
    contains: expectation,
    contents: expectation,
    md5: expectation,
    sha256: expectation,
    sha512: expectation,
  }),
  service: z.strictObject({
    ...common,
    name: text.optional(),
    enabled: expectation,
    running: expectation,
    runlevels: expectation,
  }),
  process: z.strictObject({ ...common, comm: text.optional(), running: expectation }),
  port: z.strictObject({ ...common, port: text.optional(), listening: expectation, ip: expectation }),
  'kernel-param': z.strictObject({ ...common, name: text.optional(), value: expectation }),
  mount: z.strictObject({
    ...common,
    mountpoint: text.optional(),
    exists: expectation,
    opts: expectation,
    'vfs-opts': expectation,
    source: expectation,
    filesystem: expectation,
    usage: expectation,
    timeout: duration.optional(),
  }),
  command: z.strictObject({
    ...common,
    exec: text.optional(),
    'exit-status': expectation,
    stdout: expectation,
    stderr: expectation,
    timeout: duration.optional(),
    ...retry,
  }),
  dns: z.strictObject({
    ...common,
    resolve: text.optional(),
    resolvable: expectation,
    resolveable: expectation,
    addrs: expectation,
    server: text.optional(),
    timeout: duration.optional(),
    ...retry,
  }),
  http: z.strictObject({
    ...common,
    url: text.optional(),
    method: text.optional(),
    status: expectation,
    'allow-insecure': bool.optional(),
    'no-follow-redirects': bool.optional(),
    timeout: duration.optional(),
    'request-headers': z
      .array(z.string().regex(/^[^:\s]+: /, { error: 'expected "Name: value"' }), {
        error: 'expected a list of "Name: value" strings',
      })
      .optional(),
    'request-body': text.optional(),
    headers: expectation,
    body: expectation,
    username: text.optional(),
    password: text.optional(),
    'ca-file': text.optional(),
    'cert-file': text.optional(),
    'key-file': text.optional(),
    proxy: text.optional(),
  }),
  package: z.strictObject({
    ...common,
    name: text.optional(),
    installed: expectation,
    versions: expectation,
    ...retry,
  }),
  addr: z.strictObject({
    ...common,
    address: text.optional(),
    'local-address': text.optional(),
    reachable: expectation,
    timeout: duration.optional(),
  }),
  interface: z.strictObject({
    ...common,
    name: text.optional(),
    exists: expectation,
    addrs: expectation,
    mtu: expectation,
  }),
  matching: z.strictObject({
    ...common,
    content: z.unknown().optional(),
    'as-reader': bool.optional(),
    matches: expectation,
  }),
} satisfies Record<CheckKind, z.ZodType>;

/** An entry of the `gossfile` section: the key (or `file`) is a path or glob of specs to include. */
export const GOSSFILE_SCHEMA = z.strictObject(
  {
    file: text.optional(),
    skip: bool.optional(),
    title: z.string({ error: 'expected a string' }).optional(),
    meta: z.unknown().optional(),
  },
  { error: 'expected a mapping such as {} or {skip: true}' },
);

/** The attribute that names the checked thing instead of the key (goss's `path`, `url`, ...). */
export const ALIAS_ATTRIBUTE: Readonly<Record<CheckKind, string | undefined>> = {
  user: 'username',
  group: 'groupname',
  file: 'path',
  service: 'name',
  process: 'comm',
  port: 'port',
  'kernel-param': 'name',
  mount: 'mountpoint',
  command: undefined,
  dns: 'resolve',
  http: 'url',
  package: 'name',
  addr: 'address',
  interface: 'name',
  matching: undefined,
};

/** The attributes goss always checks: leaving one out is a failed check, as in goss. */
export const REQUIRED_ATTRIBUTE: Readonly<Record<CheckKind, string | undefined>> = {
  user: 'exists',
  group: 'exists',
  file: 'exists',
  service: undefined,
  process: 'running',
  port: 'listening',
  'kernel-param': 'value',
  mount: 'exists',
  command: 'exit-status',
  dns: 'resolvable',
  http: 'status',
  package: 'installed',
  addr: 'reachable',
  interface: 'exists',
  matching: 'matches',
};

/** The attributes that hold expectations (checked), per kind; the rest shape how a check runs. */
export const CHECKED_ATTRIBUTES: Readonly<Record<CheckKind, readonly string[]>> = {
  user: ['exists', 'uid', 'gid', 'home', 'groups', 'shell'],
  group: ['exists', 'gid'],
  file: [
    'exists',
    'mode',
    'owner',
    'uid',
    'group',
    'gid',
    'linked-to',
    'filetype',
    'contains',
    'contents',
    'size',
    'md5',
    'sha256',
    'sha512',
  ],
  service: ['enabled', 'running', 'runlevels'],
  process: ['running'],
  port: ['listening', 'ip'],
  'kernel-param': ['value'],
  mount: ['exists', 'opts', 'vfs-opts', 'source', 'filesystem', 'usage'],
  command: ['exit-status', 'stdout', 'stderr'],
  dns: ['resolvable', 'resolveable', 'addrs'],
  http: ['status', 'headers', 'body'],
  package: ['installed', 'versions'],
  addr: ['reachable'],
  interface: ['exists', 'addrs', 'mtu'],
  matching: ['matches'],
};

/** Split `tcp://host:port` (`udp://` too; no scheme is tcp; IPv6 in brackets) into its parts. */
export function parseAddrId(id: string): { network: 'tcp' | 'udp'; host: string; port: number } | undefined {
  const m = /^(?:(tcp|udp):\/\/)?(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(id);
  if (!m || Number(m[3]) > 65535) return undefined;
  return {
    network: (m[1] ?? 'tcp') as 'tcp' | 'udp',
    host: (m[2] ?? '').replace(/^\[|\]$/g, ''),
    port: Number(m[3]),
  };
}
