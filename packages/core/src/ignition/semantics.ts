// The checks Ignition (and Butane) make beyond key names and types: paths, modes, URLs,
// hashes, duplicates, unit names — plus mantle's own: data URLs must decode, a hash given
// for a data URL must match, remote sources may be required to carry a hash.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { MantleError } from '../errors/index.js';
import { decodeResourceData } from './data-url.js';
import type { ProblemList } from './problems.js';
import type { IgnitionConfig, IgnitionNode, IgnitionOwner, IgnitionResource } from './types.js';
import type { IgnitionMinor } from './versions.js';

/** Options of the semantic checks. */
export interface SemanticOptions {
  /** remote sources (not data: URLs) must carry verification.hash */
  requireRemoteHash?: boolean;
  /** the config came from Butane: also warn about modes that look decimal */
  butane?: boolean;
}

const SCHEMES: Record<string, IgnitionMinor> = { http: 0, https: 0, tftp: 0, s3: 0, data: 0, gs: 2, arn: 4 };
const UNIT_TYPES = new Set([
  '.service',
  '.socket',
  '.device',
  '.mount',
  '.automount',
  '.swap',
  '.target',
  '.path',
  '.timer',
  '.snapshot',
  '.slice',
  '.scope',
]);
const HASH_SIZES: Record<string, number> = { sha256: 64, sha512: 128 };

type P = (string | number)[];

/** Run every semantic check on a structurally valid config. */
export function checkSemantics(
  cfg: IgnitionConfig,
  minor: IgnitionMinor,
  problems: ProblemList,
  opts: SemanticOptions = {},
): void {
  const c = new Checker(minor, problems, opts);
  c.run(cfg);
}

class Checker {
  constructor(
    private readonly minor: IgnitionMinor,
    private readonly p: ProblemList,
    private readonly opts: SemanticOptions,
  ) {}

  run(cfg: IgnitionConfig): void {
    const ign = cfg.ignition;
    ign.config?.merge?.forEach((r, i) => {
      const at: P = ['ignition', 'config', 'merge', i];
      if (!r.source)
        this.p.error(
          'IGNITION_REQUIRED',
          at,
          'a merged config needs a source',
          'add source (or inline/local in Butane)',
        );
      this.resource(r, at);
    });
    if (ign.config?.replace) this.resource(ign.config.replace, ['ignition', 'config', 'replace']);
    ign.security?.tls?.certificateAuthorities?.forEach((r, i) => {
      const at: P = ['ignition', 'security', 'tls', 'certificateAuthorities', i];
      if (!r.source)
        this.p.error(
          'IGNITION_REQUIRED',
          at,
          'a certificate authority needs a source',
          'add source (or inline/local in Butane)',
        );
      this.resource(r, at);
    });
    this.storage(cfg);
    this.systemd(cfg);
    this.passwd(cfg);
    this.kernelArguments(cfg);
  }

  /** Ignition: an argument is listed once, in one of shouldExist and shouldNotExist. */
  private kernelArguments(cfg: IgnitionConfig): void {
    const seen = new Map<string, P>();
    for (const list of ['shouldExist', 'shouldNotExist'] as const) {
      cfg.kernelArguments?.[list]?.forEach((arg, i) => {
        const at: P = ['kernelArguments', list, i];
        const prev = seen.get(arg);
        if (prev)
          this.p.error(
            'IGNITION_DUPLICATE',
            at,
            `duplicate entry defined: ${JSON.stringify(arg)} is also ${this.p.describe(prev)}`,
            'list each kernel argument once',
          );
        else seen.set(arg, at);
      });
    }
  }

  // --- storage -------------------------------------------------------------------------

  private storage(cfg: IgnitionConfig): void {
    const s = cfg.storage;
    if (!s) return;
    const nodes = new Map<string, P>();
    const seeNode = (n: IgnitionNode, at: P): void => {
      if (typeof n.path !== 'string') return;
      const prev = nodes.get(n.path);
      if (prev) {
        this.p.error(
          'IGNITION_DUPLICATE',
          [...at, 'path'],
          `path ${n.path} is already used by ${this.p.describe(prev)}`,
          'every file, directory and link needs its own path; remove or merge one entry',
        );
      } else nodes.set(n.path, at);
    };
    s.files?.forEach((f, i) => {
      const at: P = ['storage', 'files', i];
      this.node(f, at);
      seeNode(f, at);
      this.mode(f.mode, [...at, 'mode'], false);
      if (f.overwrite === true && !f.contents?.source) {
        this.p.error(
          'IGNITION_OVERWRITE_NO_SOURCE',
          [...at, 'overwrite'],
          'overwrite is true but the file has no contents',
          'give the file contents, or drop overwrite',
        );
      }
      if (f.contents) this.resource(f.contents, [...at, 'contents']);
      f.append?.forEach((r, j) => this.resource(r, [...at, 'append', j]));
    });
    s.directories?.forEach((d, i) => {
      const at: P = ['storage', 'directories', i];
      this.node(d, at);
      seeNode(d, at);
      this.mode(d.mode, [...at, 'mode'], true);
    });
    s.links?.forEach((l, i) => {
      const at: P = ['storage', 'links', i];
      this.node(l, at);
      seeNode(l, at);
      if (!l.target) {
        this.p.error(
          'IGNITION_LINK_TARGET',
          at,
          'a link needs a target',
          'add target: the path the link points to',
        );
      } else if (l.hard === true) {
        const target = posix.isAbsolute(l.target) ? posix.normalize(l.target) : posix.join(l.path, l.target);
        if (s.directories?.some((d) => d.path === target)) {
          this.p.error(
            'IGNITION_HARD_LINK_DIRECTORY',
            [...at, 'target'],
            `hard link to directory ${target}`,
            'use a symbolic link (hard: false)',
          );
        }
        if (l.user || l.group)
          this.p.notice('IGNITION_HARD_LINK_OWNER', at, 'user/group are ignored for hard links');
      }
    });
    // Nothing may be written through a link Ignition creates (it would escape into the target).
    const linkPaths = (s.links ?? []).map((l) => l.path).filter((x): x is string => typeof x === 'string');
    const underLink = (kind: string, list: IgnitionNode[] | undefined): void =>
      list?.forEach((n, i) => {
        const l = linkPaths.find((lp) => typeof n.path === 'string' && n.path.startsWith(`${lp}/`));
        if (l)
          this.p.error(
            'IGNITION_PATH_UNDER_LINK',
            ['storage', kind, i, 'path'],
            `${n.path} lies under the link ${l}`,
            'write to the link target instead',
          );
      });
    underLink('files', s.files);
    underLink('directories', s.directories);
    underLink('links', s.links);

    s.disks?.forEach((d, i) => {
      this.devicePath(d.device, ['storage', 'disks', i, 'device']);
      // Ignition: two partitions of a disk may not have the same (non-zero) number.
      const numbers = new Map<number, number>();
      d.partitions?.forEach((part, j) => {
        const num = part.number;
        if (num === undefined || num === 0) return;
        if (numbers.has(num))
          this.p.error(
            'IGNITION_PARTITION_NUMBER',
            ['storage', 'disks', i, 'partitions', j],
            `partition numbers collide: ${num} is also partition ${numbers.get(num)}`,
            'give each partition its own number',
          );
        else numbers.set(num, j);
      });
    });
    this.duplicates(s.disks, 'device', ['storage', 'disks']);
    s.filesystems?.forEach((fs, i) => {
      const at: P = ['storage', 'filesystems', i];
      this.devicePath(fs.device, [...at, 'device']);
      if (fs.path !== undefined && fs.path !== '') this.absolutePath(fs.path, [...at, 'path']);
      // Ignition's rules: a known format, and one whenever anything else about the filesystem is set.
      if (fs.format !== undefined && fs.format !== '' && !FILESYSTEM_FORMATS.has(fs.format))
        this.p.error(
          'IGNITION_FS_FORMAT',
          [...at, 'format'],
          `invalid filesystem format ${JSON.stringify(fs.format)}`,
          `use one of ${[...FILESYSTEM_FORMATS].join(', ')}`,
        );
      const needsFormat =
        (fs.path ?? '') !== '' ||
        (fs.label ?? '') !== '' ||
        (fs.uuid ?? '') !== '' ||
        fs.wipeFilesystem === true ||
        (fs.options?.length ?? 0) > 0 ||
        (fs.mountOptions?.length ?? 0) > 0;
      if ((fs.format ?? '') === '' && needsFormat)
        this.p.error(
          'IGNITION_FS_FORMAT',
          [...at, 'format'],
          'format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified',
          'set format (e.g. ext4)',
        );
    });
    this.duplicates(s.filesystems, 'device', ['storage', 'filesystems']);
    s.raid?.forEach((r, i) => {
      r.devices?.forEach((d, j) => this.devicePath(d, ['storage', 'raid', i, 'devices', j]));
      if (r.level !== undefined && !RAID_LEVELS.has(r.level))
        this.p.error(
          'IGNITION_RAID_LEVEL',
          ['storage', 'raid', i, 'level'],
          `unrecognized raid level ${JSON.stringify(r.level)}`,
          `use one of ${[...RAID_LEVELS].join(', ')}`,
        );
      if (!r.name)
        this.p.notice(
          'IGNITION_NO_NAME',
          ['storage', 'raid', i],
          'this raid array has no name',
          'give it a name such as md-data',
        );
    });
    this.duplicates(s.raid, 'name', ['storage', 'raid']);
    s.luks?.forEach((l, i) => {
      if (l.device === undefined || l.device === '')
        this.p.error(
          'IGNITION_REQUIRED',
          ['storage', 'luks', i, 'device'],
          'disk device is required',
          'set device, e.g. /dev/disk/by-partlabel/root',
        );
      else this.devicePath(l.device, ['storage', 'luks', i, 'device']);
      if (!l.name)
        this.p.notice(
          'IGNITION_NO_NAME',
          ['storage', 'luks', i],
          'this LUKS volume has no name',
          'give it a name such as root',
        );
      if (l.keyFile) this.resource(l.keyFile, ['storage', 'luks', i, 'keyFile']);
    });
    this.duplicates(s.luks, 'name', ['storage', 'luks']);
  }

  private node(n: IgnitionNode, at: P): void {
    this.absolutePath(n.path, [...at, 'path']);
    this.owner(n.user, [...at, 'user']);
    this.owner(n.group, [...at, 'group']);
  }

  private owner(o: IgnitionOwner | undefined, at: P): void {
    if (o && o.id !== undefined && o.name) {
      this.p.error('IGNITION_ID_AND_NAME', at, 'both id and name are set', 'give either id or name');
    }
  }

  private absolutePath(path: string, at: P): void {
    if (typeof path !== 'string') return;
    if (path === '')
      this.p.error(
        'IGNITION_PATH_RELATIVE',
        at,
        'path is empty',
        'write an absolute path, e.g. /etc/hostname',
      );
    else if (!path.startsWith('/')) {
      this.p.error(
        'IGNITION_PATH_RELATIVE',
        at,
        `path ${JSON.stringify(path)} is relative`,
        `write an absolute path, e.g. /${path}`,
      );
    } else if (posix.normalize(path) !== path || (path.length > 1 && path.endsWith('/'))) {
      const clean = posix.normalize(path).replace(/(.)\/$/, '$1');
      this.p.error('IGNITION_PATH_DIRTY', at, `path ${JSON.stringify(path)} is not clean`, `write ${clean}`);
    }
  }

  private devicePath(path: string, at: P): void {
    this.absolutePath(path, at);
  }

  private duplicates<T extends object>(list: T[] | undefined, key: keyof T & string, at: P): void {
    const seen = new Map<unknown, number>();
    list?.forEach((item, i) => {
      const k = item[key];
      if (k === undefined) return;
      if (seen.has(k)) {
        this.p.error(
          'IGNITION_DUPLICATE',
          [...at, i, key],
          `${key} ${JSON.stringify(k)} is already used by ${this.p.describe([...at, seen.get(k)!])}`,
          'remove or merge one of the entries',
        );
      } else seen.set(k, i);
    });
  }

  private mode(mode: number | undefined, at: P, directory: boolean): void {
    if (mode === undefined) return;
    if (mode < 0 || mode > 0o7777) {
      this.p.error(
        'IGNITION_MODE',
        at,
        `mode ${mode} is out of range (0 to 4095, i.e. 0o7777)`,
        'write the permission bits, e.g. 0644 in Butane or 420 in Ignition JSON',
      );
      return;
    }
    if (this.opts.butane) {
      const octal = decimalModeAsOctal(mode);
      if (octal !== undefined && !isTypicalMode(mode, directory) && isTypicalMode(octal, directory)) {
        this.p.warn(
          'IGNITION_MODE_DECIMAL',
          at,
          `mode ${mode} looks like decimal; it means 0${mode.toString(8)}`,
          `write 0${mode} (with a leading zero) for octal`,
        );
      }
    }
    // Ignition warns only where it ignores them: specs before 3.4.0.
    if (mode & 0o7000 && this.minor < 4) {
      this.p.warn(
        'IGNITION_MODE_SPECIAL',
        at,
        `mode 0${mode.toString(8)} sets setuid/setgid/sticky bits, which Ignition ignores before spec 3.4.0`,
        'use spec 3.4.0 (Butane flatcar 1.1.0) or drop the special bits',
      );
    }
  }

  // --- resources -----------------------------------------------------------------------

  private resource(r: IgnitionResource, at: P): void {
    if (r.compression !== undefined && r.compression !== '' && r.compression !== 'gzip') {
      this.p.error(
        'IGNITION_COMPRESSION',
        [...at, 'compression'],
        `unknown compression ${JSON.stringify(r.compression)}`,
        'use gzip, or leave it out',
      );
    }
    const hash = r.verification?.hash;
    if (hash !== undefined) {
      if (!r.source)
        this.p.error(
          'IGNITION_HASH',
          [...at, 'verification', 'hash'],
          'verification.hash without a source',
          'add a source or drop the hash',
        );
      this.hashFormat(hash, [...at, 'verification', 'hash']);
    }
    if (r.httpHeaders && r.httpHeaders.length > 0) {
      if (!r.source || !/^https?:/i.test(r.source)) {
        this.p.error(
          'IGNITION_HTTP_HEADERS',
          [...at, 'httpHeaders'],
          'httpHeaders only work with http(s) sources',
          'remove httpHeaders or use an http(s) source',
        );
      }
      const names = new Set<string>();
      r.httpHeaders.forEach((h, i) => {
        if (!h.name)
          this.p.error('IGNITION_HTTP_HEADERS', [...at, 'httpHeaders', i, 'name'], 'header name is empty');
        else if (names.has(h.name.toLowerCase()))
          this.p.error(
            'IGNITION_DUPLICATE',
            [...at, 'httpHeaders', i, 'name'],
            `header ${h.name} given twice`,
          );
        names.add((h.name ?? '').toLowerCase());
        if (h.value === '')
          this.p.error(
            'IGNITION_HTTP_HEADERS',
            [...at, 'httpHeaders', i, 'value'],
            'header value is empty',
            'remove the header or give it a value',
          );
      });
    }
    if (r.source === undefined || r.source === '') return;
    const src = r.source;
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(src)?.[1]?.toLowerCase();
    if (!scheme) {
      this.p.error(
        'IGNITION_URL',
        [...at, 'source'],
        `source ${JSON.stringify(src)} is not a URL`,
        'use an http(s)://, s3://, gs://, tftp:// or data: URL (or inline/local in Butane)',
      );
      return;
    }
    const since = SCHEMES[scheme];
    if (since === undefined) {
      this.p.error(
        'IGNITION_URL',
        [...at, 'source'],
        `unsupported URL scheme "${scheme}:"`,
        'Ignition fetches http, https, tftp, s3, gs (3.2+), arn (3.4+) and data URLs',
      );
      return;
    }
    if (since > this.minor) {
      this.p.error(
        'IGNITION_URL',
        [...at, 'source'],
        `"${scheme}:" sources need Ignition 3.${since}.0`,
        `raise the config version to 3.${since}.0`,
      );
      return;
    }
    if (scheme === 'data') {
      let data: Buffer;
      try {
        data = decodeResourceData(src, r.compression);
      } catch (err) {
        this.p.error(
          'IGNITION_DATA_URL',
          [...at, 'source'],
          err instanceof MantleError ? err.message : String(err),
          err instanceof MantleError ? err.hint : undefined,
        );
        return;
      }
      if (hash !== undefined) this.hashMatches(hash, data, [...at, 'verification', 'hash']);
      return;
    }
    if (scheme === 'http' || scheme === 'https' || scheme === 'tftp' || scheme === 's3' || scheme === 'gs') {
      let ok = true;
      try {
        const u = new URL(src);
        if (!u.host) ok = false;
      } catch {
        ok = false;
      }
      if (!ok) {
        this.p.error(
          'IGNITION_URL',
          [...at, 'source'],
          `source ${JSON.stringify(src)} is not a valid ${scheme} URL`,
          `write ${scheme}://host/path`,
        );
        return;
      }
    }
    if (this.opts.requireRemoteHash && hash === undefined) {
      this.p.error(
        'IGNITION_REMOTE_NO_HASH',
        [...at, 'source'],
        `remote source ${src} has no verification.hash`,
        'add verification: hash: sha512-<hex of the file> (sha256- works too)',
      );
    }
  }

  private hashFormat(hash: string, at: P): boolean {
    const dash = hash.indexOf('-');
    if (dash < 0) {
      this.p.error(
        'IGNITION_HASH',
        at,
        `hash ${JSON.stringify(hash)} is not <function>-<hex digest>`,
        'write sha512-<128 hex digits> or sha256-<64 hex digits>',
      );
      return false;
    }
    const fn = hash.slice(0, dash);
    const sum = hash.slice(dash + 1);
    const size = HASH_SIZES[fn];
    if (size === undefined) {
      this.p.error('IGNITION_HASH', at, `unknown hash function "${fn}"`, 'use sha512 or sha256');
      return false;
    }
    if (sum.length !== size || !/^[0-9a-fA-F]*$/.test(sum)) {
      this.p.error(
        'IGNITION_HASH',
        at,
        `a ${fn} digest is ${size} hex digits; got ${JSON.stringify(sum.length > 20 ? `${sum.slice(0, 20)}…` : sum)} (${sum.length})`,
        `compute it with ${fn}sum FILE`,
      );
      return false;
    }
    return true;
  }

  private hashMatches(hash: string, data: Buffer, at: P): void {
    const dash = hash.indexOf('-');
    const fn = hash.slice(0, dash);
    if (!HASH_SIZES[fn] || hash.length - dash - 1 !== HASH_SIZES[fn]) return; // already reported
    const actual = createHash(fn).update(data).digest('hex');
    if (actual !== hash.slice(dash + 1).toLowerCase()) {
      this.p.error(
        'IGNITION_HASH_MISMATCH',
        at,
        `the embedded data hashes to ${fn}-${actual}, not the hash given`,
        'update verification.hash or the contents; Ignition would fail at boot',
      );
    }
  }

  // --- systemd -------------------------------------------------------------------------

  private systemd(cfg: IgnitionConfig): void {
    const units = cfg.systemd?.units;
    if (!units) return;
    this.duplicates(units, 'name', ['systemd', 'units']);
    const unitPaths = new Set<string>();
    units.forEach((u, i) => {
      const at: P = ['systemd', 'units', i];
      if (typeof u.name === 'string' && !UNIT_TYPES.has(posix.extname(u.name))) {
        this.p.error(
          'IGNITION_UNIT_NAME',
          [...at, 'name'],
          `unit name ${JSON.stringify(u.name)} has no unit type suffix`,
          `name it like ${u.name}.service (or .socket, .timer, .target, .mount, ...)`,
        );
      }
      if (u.contents !== undefined) {
        const sections = this.unitContents(u.contents, [...at, 'contents']);
        if (u.contents !== '') unitPaths.add(`/etc/systemd/system/${u.name}`);
        if (u.enabled === true && u.contents !== '' && sections && !sections.has('Install')) {
          this.p.warn(
            'IGNITION_UNIT_NO_INSTALL',
            [...at, 'contents'],
            `unit ${u.name} is enabled but has no [Install] section, so enabling does nothing`,
            'add an [Install] section (e.g. WantedBy=multi-user.target)',
          );
        }
      }
      this.duplicates(u.dropins, 'name', [...at, 'dropins']);
      u.dropins?.forEach((d, j) => {
        if (typeof d.name === 'string' && posix.extname(d.name) !== '.conf') {
          this.p.error(
            'IGNITION_DROPIN_NAME',
            [...at, 'dropins', j, 'name'],
            `drop-in name ${JSON.stringify(d.name)} does not end in .conf`,
            `name it ${d.name}.conf`,
          );
        }
        if (d.contents !== undefined) {
          this.unitContents(d.contents, [...at, 'dropins', j, 'contents']);
          if (d.contents !== '') unitPaths.add(`/etc/systemd/system/${u.name}.d/${d.name}`);
        }
      });
    });
    // Ignition writes units itself; a file at the same path would fight it.
    for (const kind of ['files', 'directories', 'links'] as const) {
      cfg.storage?.[kind]?.forEach((n: IgnitionNode, i: number) => {
        if (unitPaths.has(n.path)) {
          this.p.error(
            'IGNITION_PATH_CONFLICTS_SYSTEMD',
            ['storage', kind, i, 'path'],
            `${n.path} is also written by systemd.units`,
            'keep the unit in systemd.units and drop this entry',
          );
        }
      });
    }
  }

  /**
   * Check unit file syntax as Ignition does (go-systemd's parser): a section header without its
   * "]" and a line that is no key=value are errors; a setting before any [Section] is accepted
   * (a notice). Returns the section names, or undefined when the text does not parse.
   */
  private unitContents(text: string, at: P): Set<string> | undefined {
    const sections = new Set<string>();
    let section: string | undefined;
    let continued = false;
    const lines = text.split(/\r?\n/);
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n]!;
      const t = line.trim();
      if (continued) {
        continued = t.endsWith('\\');
        continue;
      }
      if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
      if (t.startsWith('[')) {
        if (!t.endsWith(']')) {
          this.p.error(
            'IGNITION_UNIT_SYNTAX',
            at,
            `invalid unit content: unable to find end of section (line ${n + 1}: ${JSON.stringify(t)})`,
            'close the section header with "]"',
          );
          return undefined;
        }
        section = t.slice(1, -1);
        sections.add(section);
        continue;
      }
      if (!t.includes('=')) {
        this.p.error(
          'IGNITION_UNIT_SYNTAX',
          at,
          `invalid unit content: line ${n + 1} (${JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}…` : t)}) is not key=value`,
          'unit files hold [Section] headers, key=value lines and # comments',
        );
        return undefined;
      }
      if (section === undefined) {
        this.p.notice(
          'IGNITION_UNIT_SYNTAX',
          at,
          `unit line ${n + 1}: setting before any [Section] header`,
          'start the unit with a section such as [Unit] or [Service]',
        );
      }
      continued = t.endsWith('\\');
    }
    return sections;
  }

  // --- passwd --------------------------------------------------------------------------

  private passwd(cfg: IgnitionConfig): void {
    this.duplicates(cfg.passwd?.users, 'name', ['passwd', 'users']);
    this.duplicates(cfg.passwd?.groups, 'name', ['passwd', 'groups']);
    // Ignition accepts a user or group without a name (and fails creating it at boot).
    cfg.passwd?.users?.forEach((u, i) => {
      if (!u.name)
        this.p.notice('IGNITION_NO_NAME', ['passwd', 'users', i], 'this user has no name', 'add name');
    });
    cfg.passwd?.groups?.forEach((g, i) => {
      if (!g.name)
        this.p.notice('IGNITION_NO_NAME', ['passwd', 'groups', i], 'this group has no name', 'add name');
    });
    cfg.passwd?.users?.forEach((u, i) => {
      if (u.homeDir !== undefined && u.homeDir !== '')
        this.absolutePath(u.homeDir, ['passwd', 'users', i, 'homeDir']);
      const keys = new Set<string>();
      u.sshAuthorizedKeys?.forEach((k, j) => {
        if (keys.has(k))
          this.p.error(
            'IGNITION_DUPLICATE',
            ['passwd', 'users', i, 'sshAuthorizedKeys', j],
            'this SSH key is listed twice',
            'remove one copy',
          );
        keys.add(k);
      });
    });
  }
}

/** Filesystem formats Ignition creates. */
const FILESYSTEM_FORMATS: ReadonlySet<string> = new Set(['ext4', 'btrfs', 'xfs', 'vfat', 'swap', 'none']);
/** RAID levels Ignition's validator knows. */
const RAID_LEVELS: ReadonlySet<string> = new Set([
  'linear',
  'raid0',
  '0',
  'stripe',
  'raid1',
  '1',
  'mirror',
  'raid4',
  '4',
  'raid5',
  '5',
  'raid6',
  '6',
  'raid10',
  '10',
]);

/** Read a mode written as decimal digits (644) as the octal it was meant to be (0o644). */
function decimalModeAsOctal(mode: number): number | undefined {
  if (mode < 0 || mode > 7777) return undefined;
  const digits = String(mode);
  if (/[89]/.test(digits)) return undefined;
  return parseInt(digits, 8);
}

/** Whether a permission mode is unsurprising (Butane's heuristic for "you forgot the 0"). */
function isTypicalMode(mode: number, directory: boolean): boolean {
  if (mode === 0) return true;
  const perms = [mode & 0o7, (mode >> 3) & 0o7, (mode >> 6) & 0o7];
  let hadR = false;
  let hadW = false;
  let hadX = false;
  for (const perm of perms) {
    const r = (perm & 4) !== 0;
    const w = (perm & 2) !== 0;
    const x = (perm & 1) !== 0;
    // a more specific class (user) has every bit a less specific one (other) has
    if ((!r && hadR) || (!w && hadW) || (!x && hadX)) return false;
    if (x && hadR && !hadX) return false;
    if ((w || x) && !r) return false;
    hadR ||= r;
    hadW ||= w;
    hadX ||= x;
  }
  if (!hadR) return false;
  if (directory) {
    if (!hadX) return false;
    if (mode & 0o4000) return false;
    if (mode & 0o3000 && !hadW) return false;
  } else {
    if (mode & 0o6000) {
      if (!hadX) return false;
      if (mode & 2) return false;
    }
    if (mode & 0o1000) return false;
  }
  return true;
}
