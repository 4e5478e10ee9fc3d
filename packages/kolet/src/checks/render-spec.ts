// `goss render`: a spec and everything it includes, rendered and merged into one gossfile,
// printed as goss marshals its GossConfig — kinds in goss's order, resources sorted by key,
// attributes in goss's field order with its omitempty rules — as YAML, or JSON for a .json
// spec. Piping it into `kolet check -` (or `goss validate -g -`) runs the same checks.
import { stringify } from 'yaml';
import { goJson } from './go/go-format.js';
import { loadCheckSpec, type LoadSpecOptions } from './load-spec.js';
import { CHECKED_ATTRIBUTES } from './spec-schema.js';
import type { CheckKind, Resource } from './types.js';

/** goss's GossConfig field order. */
const KIND_ORDER: readonly CheckKind[] = [
  'file',
  'package',
  'addr',
  'port',
  'service',
  'user',
  'group',
  'command',
  'dns',
  'process',
  'kernel-param',
  'mount',
  'interface',
  'http',
  'matching',
];

/** Each kind's attributes in goss's struct order; `!` marks the ones written even when empty. */
const FIELDS: Readonly<Record<CheckKind, readonly string[]>> = {
  addr: ['title', 'meta', 'address', 'local-address', '!reachable', '!timeout', 'skip'],
  command: [
    'title',
    'meta',
    'exec',
    '!exit-status',
    '!stdout',
    '!stderr',
    '!timeout',
    'skip',
    'retry_count',
    'retry_delay',
  ],
  dns: [
    'title',
    'meta',
    'resolve',
    'resolveable',
    '!resolvable',
    'addrs',
    '!timeout',
    'server',
    'retry_count',
    'retry_delay',
    'skip',
  ],
  file: [
    'title',
    'meta',
    'path',
    '!exists',
    'mode',
    'size',
    'owner',
    'uid',
    'group',
    'gid',
    'linked-to',
    'filetype',
    'contains',
    'contents',
    'md5',
    'sha256',
    'sha512',
    'skip',
  ],
  group: ['title', 'meta', 'groupname', '!exists', 'gid', 'skip'],
  http: [
    'title',
    'meta',
    'url',
    'method',
    '!status',
    '!allow-insecure',
    '!no-follow-redirects',
    'timeout',
    'request-headers',
    'request-body',
    'headers',
    'body',
    'username',
    'password',
    'ca-file',
    'cert-file',
    'key-file',
    'skip',
    'proxy',
  ],
  interface: ['title', 'meta', 'name', '!exists', 'addrs', 'mtu', 'skip'],
  'kernel-param': ['title', 'meta', 'name', '!value', 'skip'],
  matching: ['title', 'meta', 'content', 'as-reader', '!matches', 'skip'],
  mount: [
    'title',
    'meta',
    'mountpoint',
    '!exists',
    'opts',
    'vfs-opts',
    'source',
    'filesystem',
    '!timeout',
    'skip',
    'usage',
  ],
  package: ['title', 'meta', 'name', '!installed', 'versions', 'retry_count', 'retry_delay', 'skip'],
  port: ['title', 'meta', 'port', '!listening', 'ip', 'skip'],
  process: ['title', 'meta', 'comm', '!running', 'skip'],
  service: ['title', 'meta', 'name', '!enabled', '!running', 'skip', 'runlevels'],
  user: ['title', 'meta', 'username', '!exists', 'uid', 'gid', 'groups', 'home', 'shell', 'skip'],
};

/** Zero values for attributes written even when not given (Go's zero of their type). */
const ZERO: Readonly<Record<string, unknown>> = {
  timeout: 0,
  'allow-insecure': false,
  'no-follow-redirects': false,
};

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function resourceData(r: Resource): Record<string, unknown> {
  const props = r.props as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of FIELDS[r.kind]) {
    const always = f.startsWith('!');
    const key = always ? f.slice(1) : f;
    const v = props[key];
    // An expectation is an interface{} in goss: omitempty leaves out only nil (a 0 stays).
    const matcher = CHECKED_ATTRIBUTES[r.kind].includes(key) || key === 'content';
    if (always) out[key] = v ?? (key in ZERO ? ZERO[key] : null);
    else if (matcher ? v !== undefined && v !== null : !isEmpty(v)) out[key] = v;
  }
  return out;
}

export interface RenderSpecOptions extends LoadSpecOptions {
  /** JSON instead of YAML (default: JSON when the spec's name ends in .json) */
  json?: boolean;
}

/** The merged, rendered spec as text (goss render). */
export async function renderSpec(path: string, opts: RenderSpecOptions = {}): Promise<string> {
  const spec = await loadCheckSpec(path, opts);
  const byKind = new Map<CheckKind, Map<string, Resource>>();
  for (const r of spec.resources) {
    let m = byKind.get(r.kind);
    if (!m) byKind.set(r.kind, (m = new Map<string, Resource>()));
    m.set(r.id, r);
  }
  const doc: Record<string, Record<string, unknown>> = {};
  for (const kind of KIND_ORDER) {
    const m = byKind.get(kind);
    if (!m || m.size === 0) continue;
    const section: Record<string, unknown> = {};
    for (const id of [...m.keys()].sort()) section[id] = resourceData(m.get(id) as Resource);
    doc[kind] = section;
  }
  const json = opts.json ?? path.endsWith('.json');
  if (json) {
    const structs = new WeakSet<object>([
      doc,
      ...Object.values(doc).flatMap((s) => Object.values(s) as object[]),
    ]);
    return `${goJson(doc, '    ', structs)}\n`;
  }
  return stringify(doc, { indent: 4, indentSeq: true, lineWidth: 0 });
}
