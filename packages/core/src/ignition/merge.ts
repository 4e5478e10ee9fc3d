// Building and combining Ignition configs the way kola does: start from the test's user data,
// add kola's SSH key to the default user and kola's own files and units on top.
import { canonicalize } from './canonical.js';
import type {
  IgnitionConfig,
  IgnitionDirectory,
  IgnitionDropin,
  IgnitionFile,
  IgnitionLink,
  IgnitionUnit,
  IgnitionUser,
} from './types.js';
import { compareIgnitionVersions, DEFAULT_IGNITION_VERSION, type IgnitionVersion } from './versions.js';

/** An empty config of the given version (default 3.3.0, which every current Flatcar boots). */
export function newIgnition(version: IgnitionVersion = DEFAULT_IGNITION_VERSION): IgnitionConfig {
  return { ignition: { version } };
}

type Node =
  | { kind: 'files'; v: IgnitionFile }
  | { kind: 'directories'; v: IgnitionDirectory }
  | { kind: 'links'; v: IgnitionLink };

/**
 * Merge configs left to right into a new one (inputs are not modified):
 * - version: the highest of all inputs;
 * - storage files/directories/links: one entry per path; a later entry replaces an earlier one
 *   whole, even of another kind (a later file replaces an earlier link at the same path);
 * - systemd units: one per name; later set fields win, drop-ins merge by name (later wins);
 * - passwd users/groups: one per name; later set fields win, sshAuthorizedKeys and groups are
 *   unioned in order (so kola's key is added to the test's `core` user, not replacing it);
 * - disks, filesystems (by device), raid, luks (by name): a later entry replaces an earlier one;
 * - kernelArguments lists and ignition.config.merge / certificateAuthorities: concatenated,
 *   duplicates dropped; replace, proxy and timeouts: later set fields win.
 */
export function mergeIgnition(base: IgnitionConfig, ...extras: IgnitionConfig[]): IgnitionConfig {
  const all = [base, ...extras].map((c) => structuredClone(c));
  const version = all
    .map((c) => c.ignition.version)
    .reduce((a, b) => (compareIgnitionVersions(a, b) >= 0 ? a : b));
  const out: IgnitionConfig = { ignition: { version } };

  for (const c of all) {
    const ign = c.ignition;
    if (ign.config?.merge) {
      const merged = (out.ignition.config ??= {}).merge ?? [];
      for (const r of ign.config.merge) if (!merged.some((m) => m.source === r.source)) merged.push(r);
      out.ignition.config.merge = merged;
    }
    if (ign.config?.replace)
      (out.ignition.config ??= {}).replace = overlay(out.ignition.config?.replace, ign.config.replace);
    if (ign.proxy) out.ignition.proxy = overlay(out.ignition.proxy, ign.proxy);
    if (ign.timeouts) out.ignition.timeouts = overlay(out.ignition.timeouts, ign.timeouts);
    const cas = ign.security?.tls?.certificateAuthorities;
    if (cas) {
      const tls = ((out.ignition.security ??= {}).tls ??= {});
      const list = (tls.certificateAuthorities ??= []);
      for (const r of cas) if (!list.some((m) => m.source === r.source)) list.push(r);
    }
    if (c.kernelArguments) {
      const ka = (out.kernelArguments ??= {});
      ka.shouldExist = union(ka.shouldExist, c.kernelArguments.shouldExist);
      ka.shouldNotExist = union(ka.shouldNotExist, c.kernelArguments.shouldNotExist);
    }
  }

  // Filesystem nodes share one namespace of paths, in first-seen order.
  const nodes = new Map<string, Node>();
  for (const c of all) {
    const s = c.storage;
    s?.files?.forEach((v) => setNode(nodes, v.path, { kind: 'files', v }));
    s?.directories?.forEach((v) => setNode(nodes, v.path, { kind: 'directories', v }));
    s?.links?.forEach((v) => setNode(nodes, v.path, { kind: 'links', v }));
  }
  const storage: NonNullable<IgnitionConfig['storage']> = {};
  for (const n of nodes.values()) {
    if (n.kind === 'files') (storage.files ??= []).push(n.v);
    else if (n.kind === 'directories') (storage.directories ??= []).push(n.v);
    else (storage.links ??= []).push(n.v);
  }
  storage.disks = replaceByKey(
    all.map((c) => c.storage?.disks),
    (d) => d.device,
  );
  storage.filesystems = replaceByKey(
    all.map((c) => c.storage?.filesystems),
    (f) => f.device,
  );
  storage.raid = replaceByKey(
    all.map((c) => c.storage?.raid),
    (r) => r.name,
  );
  storage.luks = replaceByKey(
    all.map((c) => c.storage?.luks),
    (l) => l.name,
  );
  out.storage = storage;

  const units = new Map<string, IgnitionUnit>();
  for (const c of all)
    for (const u of c.systemd?.units ?? []) units.set(u.name, mergeUnit(units.get(u.name), u));
  if (units.size > 0) out.systemd = { units: [...units.values()] };

  const users = new Map<string, IgnitionUser>();
  const groups = new Map<string, NonNullable<NonNullable<IgnitionConfig['passwd']>['groups']>[number]>();
  for (const c of all) {
    for (const u of c.passwd?.users ?? []) users.set(u.name, mergeUser(users.get(u.name), u));
    for (const g of c.passwd?.groups ?? []) groups.set(g.name, overlay(groups.get(g.name), g));
  }
  if (users.size > 0 || groups.size > 0) {
    out.passwd = {};
    if (groups.size > 0) out.passwd.groups = [...groups.values()];
    if (users.size > 0) out.passwd.users = [...users.values()];
  }
  return canonicalize(out) as IgnitionConfig;
}

function setNode(nodes: Map<string, Node>, path: string, n: Node): void {
  // Map.set keeps the first-seen position, so a replaced entry stays where the base had it.
  nodes.set(path, n);
}

/** `prev` with every field `next` sets (an explicit undefined does not erase). */
function overlay<T extends object>(prev: T | undefined, next: T): T {
  const out = { ...prev } as Record<string, unknown>;
  for (const [k, v] of Object.entries(next)) if (v !== undefined) out[k] = v;
  return out as T;
}

function replaceByKey<T>(lists: (T[] | undefined)[], key: (t: T) => string): T[] | undefined {
  const m = new Map<string, T>();
  for (const l of lists) for (const item of l ?? []) m.set(key(item), item);
  return m.size > 0 ? [...m.values()] : undefined;
}

function union(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (!a && !b) return undefined;
  return [...new Set([...(a ?? []), ...(b ?? [])])];
}

function mergeUnit(prev: IgnitionUnit | undefined, next: IgnitionUnit): IgnitionUnit {
  if (!prev) return next;
  const dropins = new Map<string, IgnitionDropin>();
  for (const d of [...(prev.dropins ?? []), ...(next.dropins ?? [])])
    dropins.set(d.name, overlay(dropins.get(d.name), d));
  const merged = overlay(prev, next);
  if (dropins.size > 0) merged.dropins = [...dropins.values()];
  return merged;
}

function mergeUser(prev: IgnitionUser | undefined, next: IgnitionUser): IgnitionUser {
  if (!prev) return next;
  const merged = overlay(prev, next);
  const keys = union(prev.sshAuthorizedKeys, next.sshAuthorizedKeys);
  const groups = union(prev.groups, next.groups);
  if (keys) merged.sshAuthorizedKeys = keys;
  if (groups) merged.groups = groups;
  return merged;
}
