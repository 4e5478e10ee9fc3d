import { z } from 'zod';
import { MAX_DURATION_MS, parseDurationMs } from './duration.js';
import { parsePattern } from './matchers.js';
import { canonicalCidr } from './system/ip-addr.js';
import { FILE_TYPES, type CheckKind } from './types.js';

// Messages say what was expected; the parser adds the kind, key, property, value and line.
const bool = z.boolean({ error: 'expected true or false' });
const uint = z
  .number({ error: 'expected a whole number' })
  .int({ error: 'expected a whole number' })
  .min(0, { error: 'expected 0 or more' });
const text = z.string({ error: 'expected a string' }).min(1, { error: 'expected a non-empty string' });
// List items that look like numbers in YAML (versions, addresses) are still meant as text.
const item = z.union([z.string(), z.number()], { error: 'expected a string' }).transform(String);
const list = z.array(item, { error: 'expected a list of strings' });

const pattern = item.transform((s, ctx) => {
  try {
    return parsePattern(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
    return z.NEVER;
  }
});
const patterns = z.array(pattern, { error: 'expected a list of strings or /regex/ patterns' });

const duration = z
  .union([z.number(), z.string()], { error: 'expected milliseconds or a duration such as 5s' })
  .transform((v, ctx) => {
    const ms = parseDurationMs(v);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected a positive number of milliseconds or a duration such as 5s',
      });
      return z.NEVER;
    }
    if (ms > MAX_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: `${String(v)} is longer than the maximum of 24h` });
      return z.NEVER;
    }
    return ms;
  });

const mode = z
  .string({
    error: 'expected a quoted octal string such as "0644" (unquoted YAML numbers lose the octal meaning)',
  })
  .regex(/^[0-7]{3,4}$/, { error: 'expected 3 or 4 octal digits such as "0644"' })
  .transform((s) => s.padStart(4, '0'));

const CIDR_EXAMPLE = 'an address with its prefix length such as 192.0.2.1/24 or fe80::1/64';
const cidr = z.string({ error: `expected ${CIDR_EXAMPLE}` }).transform((s, ctx) => {
  const c = canonicalCidr(s);
  if (c === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected ${CIDR_EXAMPLE}, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return c;
});

const common = {
  skip: bool.optional(),
  title: z.string({ error: 'expected a string' }).optional(),
  meta: z.unknown().optional(),
};

/** The properties each kind accepts (unknown keys are errors). */
export const PROPS_SCHEMAS = {
  user: z.strictObject({
    ...common,
    exists: bool.optional(),
    uid: uint.optional(),
    gid: uint.optional(),
    groups: list.optional(),
    home: text.optional(),
    shell: text.optional(),
  }),
  group: z.strictObject({ ...common, exists: bool.optional(), gid: uint.optional() }),
  file: z.strictObject({
    ...common,
    exists: bool.optional(),
    mode: mode.optional(),
    owner: text.optional(),
    group: text.optional(),
    filetype: z.enum(FILE_TYPES, { error: `expected one of ${FILE_TYPES.join(', ')}` }).optional(),
    'linked-to': text.optional(),
    contains: patterns.optional(),
    // goss ≥ 0.4 spells it `contents`; both are accepted and mean the same.
    contents: patterns.optional(),
    sha256: z
      .string({ error: 'expected 64 hex digits' })
      .regex(/^[0-9a-fA-F]{64}$/, { error: 'expected 64 hex digits' })
      .transform((s) => s.toLowerCase())
      .optional(),
    size: uint.optional(),
  }),
  service: z.strictObject({ ...common, enabled: bool.optional(), running: bool.optional() }),
  process: z.strictObject({ ...common, running: bool.optional() }),
  port: z.strictObject({ ...common, listening: bool.optional(), ip: list.optional() }),
  'kernel-param': z.strictObject({
    ...common,
    value: z
      .union([z.string(), z.number(), z.boolean()], { error: 'expected a value (string or number)' })
      .transform(String)
      .optional(),
  }),
  mount: z.strictObject({
    ...common,
    exists: bool.optional(),
    opts: list.optional(),
    'vfs-opts': list.optional(),
    source: text.optional(),
    filesystem: text.optional(),
  }),
  command: z.strictObject({
    ...common,
    exec: text.optional(),
    'exit-status': uint.optional(),
    stdout: patterns.optional(),
    stderr: patterns.optional(),
    timeout: duration.optional(),
  }),
  dns: z.strictObject({
    ...common,
    resolvable: bool.optional(),
    addrs: list.optional(),
    server: text.optional(),
    timeout: duration.optional(),
  }),
  http: z.strictObject({
    ...common,
    status: uint.optional(),
    body: patterns.optional(),
    headers: patterns.optional(),
    'allow-insecure': bool.optional(),
    'no-follow-redirects': bool.optional(),
    method: z
      .enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'], {
        error: 'expected an HTTP method such as GET',
      })
      .optional(),
    'request-headers': z
      .array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:/, { error: 'expected "Name: value"' }), {
        error: 'expected a list of "Name: value" strings',
      })
      .optional(),
    'request-body': z.string({ error: 'expected a string' }).optional(),
    timeout: duration.optional(),
  }),
  package: z.strictObject({ ...common, installed: bool.optional(), versions: list.optional() }),
  addr: z.strictObject({ ...common, reachable: bool.optional(), timeout: duration.optional() }),
  interface: z.strictObject({
    ...common,
    exists: bool.optional(),
    addrs: z.array(cidr, { error: `expected a list of addresses (${CIDR_EXAMPLE})` }).optional(),
    mtu: uint.optional(),
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

/** Properties that are not checks themselves (they shape how the resource is checked). */
export const NON_CHECK_PROPS = new Set([
  'skip',
  'title',
  'meta',
  'exec',
  'timeout',
  'server',
  'allow-insecure',
  'no-follow-redirects',
  'method',
  'request-headers',
  'request-body',
]);

const PORT_ID = /^(tcp|tcp6|udp|udp6):(\d{1,5})$/;

/** Why a resource key is not valid for its kind, or undefined when it is. */
export function resourceIdProblem(kind: CheckKind, id: string): string | undefined {
  if (id.trim() === '') return 'the key must not be empty';
  switch (kind) {
    case 'file':
    case 'mount':
      return id.startsWith('/') ? undefined : 'expected an absolute path';
    case 'port': {
      const m = PORT_ID.exec(id);
      if (!m) return 'expected tcp:PORT, tcp6:PORT, udp:PORT or udp6:PORT';
      return Number(m[2]) <= 65535 ? undefined : 'port must be 0-65535';
    }
    case 'kernel-param':
      return /^[A-Za-z0-9_-]+([./][A-Za-z0-9_:@-]+)*$/.test(id)
        ? undefined
        : 'expected a sysctl name such as kernel.ostype';
    case 'user':
    case 'group':
      return /^[^\s:/]+$/.test(id)
        ? undefined
        : 'expected a user or group name (no spaces, colons or slashes)';
    case 'http': {
      try {
        const u = new URL(id);
        return u.protocol === 'http:' || u.protocol === 'https:'
          ? undefined
          : 'expected an http:// or https:// URL';
      } catch {
        return 'expected an http:// or https:// URL';
      }
    }
    case 'addr':
      return parseAddrId(id) ? undefined : 'expected tcp://HOST:PORT';
    case 'interface':
      // Linux's own rule (dev_valid_name): 1-15 bytes, no '/', ':' or white space, not . or ..
      return /^[^/:\s]{1,15}$/.test(id) && id !== '.' && id !== '..' && Buffer.byteLength(id) <= 15
        ? undefined
        : 'expected an interface name (1-15 characters, no /, : or spaces), such as eth0';
    default:
      return undefined;
  }
}

/** Split `tcp://host:port` (IPv6 in brackets) into its parts. */
export function parseAddrId(id: string): { host: string; port: number } | undefined {
  const m = /^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(id);
  if (!m || Number(m[2]) > 65535) return undefined;
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}
