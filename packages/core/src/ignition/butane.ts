// Butane (YAML) → Ignition (JSON) for the flatcar 1.0.0/1.1.0 and fcos 1.0.0–1.5.0 specs.
import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Node, Pair } from 'yaml';
import { isMap, isScalar } from './yaml-lazy.js';
import { MantleError } from '../errors/index.js';
import { expandTrees } from './butane-trees.js';
import { canonicalize } from './canonical.js';
import { encodeContents } from './data-url.js';
import { parseIgnition } from './parse.js';
import { ProblemList, type ConfigPath } from './problems.js';
import { CONFIG_TYPE } from './schema.js';
import { checkSemantics } from './semantics.js';
import type { IgnitionConfig } from './types.js';
import { BUTANE_SPECS, findButaneSpec, ignitionMinor, type ButaneSpec } from './versions.js';
import { walkDocument } from './walk.js';
import { parseSource } from './yaml-source.js';

/** Options of butaneToIgnition. */
export interface ButaneOptions {
  /** directory that `local`, `contents_local` and `ssh_authorized_keys_local` paths are relative to */
  filesDir?: string;
  /** treat warnings as errors (butane --strict) */
  strict?: boolean;
  /** file name used in messages */
  source?: string;
  /** every remote source (not a data: URL) must carry verification.hash */
  requireRemoteHash?: boolean;
  /** allow gzip for embedded contents when it is shorter (Butane's default: true) */
  compress?: boolean;
}

/** What butaneToIgnition returns. */
export interface ButaneResult {
  config: IgnitionConfig;
  /** `file:line:col: path: message` lines */
  warnings: string[];
  /** the Butane spec the input declared */
  spec: ButaneSpec;
}

type Obj = Record<string, unknown>;
type P = (string | number)[];

/** Translate a Butane config to Ignition; throws InputError (code IGNITION_*) naming line and key. */
export function butaneToIgnition(yamlText: string, opts: ButaneOptions = {}): ButaneResult {
  const problems = new ProblemList(opts.source);
  const parsed = parseSource(yamlText, problems, 'yaml');
  if (!parsed) {
    problems.throwIfErrors(false, 'Butane config');
    throw new Error('unreachable');
  }
  const { doc, lineCounter } = parsed;
  const spec = readSpec(doc.contents, problems, lineCounter.linePos.bind(lineCounter));
  if (!spec) {
    problems.throwIfErrors(false, 'Butane config');
    throw new Error('unreachable');
  }
  const minor = ignitionMinor(spec.ignition);
  const out =
    walkDocument(
      {
        mode: 'butane',
        minor,
        base: spec.base,
        variant: spec.variant,
        specName: `${spec.variant} ${spec.version}`,
        problems,
        doc,
        lineCounter,
        skipRootKeys: new Set(['variant', 'version']),
        unknownKeysAreErrors: false,
      },
      CONFIG_TYPE,
    ) ?? {};
  const t = new Translator(problems, opts, spec.ignition);
  t.run(out);
  expandTrees(out, problems, opts);
  const ign = (out.ignition ?? {}) as Obj;
  ign.version = spec.ignition;
  out.ignition = ign;
  const config = canonicalize(out) as IgnitionConfig;
  if (!problems.hasErrors())
    checkSemantics(config, minor, problems, { butane: true, requireRemoteHash: opts.requireRemoteHash });
  problems.throwIfErrors(opts.strict ?? false, 'Butane config');
  return { config, warnings: problems.warningLines(), spec };
}

function readSpec(
  root: Node | null,
  problems: ProblemList,
  linePos: (o: number) => { line: number; col: number },
): ButaneSpec | undefined {
  const locate = (node: Node | null | undefined, path: P): void => {
    const off = node?.range?.[0];
    if (off === undefined) return;
    const pos = linePos(off);
    problems.locate(path, { line: pos.line, column: pos.col, display: path.join('.') || '(top level)' });
  };
  locate(root, []);
  if (!root || !isMap(root)) {
    problems.error(
      'IGNITION_NO_VARIANT',
      [],
      'a Butane config is a YAML mapping starting with variant: and version:',
      'begin the file with "variant: flatcar" and "version: 1.0.0"',
    );
    return undefined;
  }
  const pair = (k: string): Pair | undefined => root.items.find((p) => isScalar(p.key) && p.key.value === k);
  const variantPair = pair('variant');
  const versionPair = pair('version');
  const variantNode = variantPair?.value as Node | null | undefined;
  const versionNode = versionPair?.value as Node | null | undefined;
  locate(variantNode ?? (variantPair?.key as Node | undefined), ['variant']);
  locate(versionNode ?? (versionPair?.key as Node | undefined), ['version']);
  const variant = variantNode && isScalar(variantNode) ? variantNode.value : undefined;
  const version = versionNode && isScalar(versionNode) ? versionNode.value : undefined;
  const variants = [...new Set(BUTANE_SPECS.map((s) => s.variant))];
  if (variantPair === undefined) {
    problems.error(
      'IGNITION_NO_VARIANT',
      [],
      'missing required key "variant"',
      `add "variant: flatcar" (mantle knows: ${variants.join(', ')})`,
    );
    return undefined;
  }
  if (typeof variant !== 'string' || !variants.includes(variant as ButaneSpec['variant'])) {
    problems.error(
      'IGNITION_UNKNOWN_VARIANT',
      ['variant'],
      `unknown variant ${JSON.stringify(variant ?? null)}`,
      `use one of: ${variants.join(', ')}`,
    );
    return undefined;
  }
  const known = BUTANE_SPECS.filter((s) => s.variant === variant).map((s) => s.version);
  if (versionPair === undefined) {
    problems.error(
      'IGNITION_UNSUPPORTED_VERSION',
      [],
      'missing required key "version"',
      `add "version: ${known[0]}" (${variant} versions: ${known.join(', ')})`,
    );
    return undefined;
  }
  if (typeof version !== 'string') {
    problems.error(
      'IGNITION_UNSUPPORTED_VERSION',
      ['version'],
      `version must be a semver string like 1.0.0, got ${JSON.stringify(version ?? null)}`,
      `write version: ${known[known.length - 1]}`,
    );
    return undefined;
  }
  const spec = findButaneSpec(variant, version);
  if (!spec) {
    problems.error(
      'IGNITION_UNSUPPORTED_VERSION',
      ['version'],
      `${variant} version ${version} is not supported`,
      `mantle translates ${variant} ${known.join(', ')}`,
    );
    return undefined;
  }
  return spec;
}

/** Turns Butane sugar (inline, local, contents_local, ssh_authorized_keys_local) into Ignition. */
class Translator {
  constructor(
    private readonly p: ProblemList,
    private readonly opts: ButaneOptions,
    /** the Ignition spec version this Butane spec emits */
    private readonly target: string,
  ) {}

  run(cfg: Obj): void {
    const ign = cfg.ignition as Obj | undefined;
    const config = ign?.config as Obj | undefined;
    (config?.merge as Obj[] | undefined)?.forEach((r, i) =>
      this.resource(r, ['ignition', 'config', 'merge', i], true),
    );
    if (config?.replace) this.resource(config.replace as Obj, ['ignition', 'config', 'replace'], true);
    const cas = ((ign?.security as Obj | undefined)?.tls as Obj | undefined)?.certificateAuthorities as
      Obj[] | undefined;
    cas?.forEach((r, i) =>
      this.resource(r, ['ignition', 'security', 'tls', 'certificateAuthorities', i], false),
    );
    const storage = cfg.storage as Obj | undefined;
    (storage?.files as Obj[] | undefined)?.forEach((f, i) => {
      if (f.contents) this.resource(f.contents as Obj, ['storage', 'files', i, 'contents'], false);
      (f.append as Obj[] | undefined)?.forEach((r, j) =>
        this.resource(r, ['storage', 'files', i, 'append', j], false),
      );
    });
    (storage?.luks as Obj[] | undefined)?.forEach((l, i) => {
      if (l.keyFile) this.resource(l.keyFile as Obj, ['storage', 'luks', i, 'keyFile'], false);
    });
    const units = (cfg.systemd as Obj | undefined)?.units as Obj[] | undefined;
    units?.forEach((u, i) => {
      this.contentsLocal(u, ['systemd', 'units', i]);
      (u.dropins as Obj[] | undefined)?.forEach((d, j) =>
        this.contentsLocal(d, ['systemd', 'units', i, 'dropins', j]),
      );
    });
    ((cfg.passwd as Obj | undefined)?.users as Obj[] | undefined)?.forEach((u, i) =>
      this.sshKeysLocal(u, ['passwd', 'users', i]),
    );
  }

  private resource(r: Obj, at: P, isConfig: boolean): void {
    const given = (['source', 'inline', 'local'] as const).filter((k) => r[k] !== undefined);
    if (given.length > 1) {
      this.p.error(
        'IGNITION_TOO_MANY_SOURCES',
        [...at, given[1]!],
        `only one of source, inline and local may be set (found ${given.join(' and ')})`,
        'keep one of them',
      );
      return;
    }
    let data: Buffer | undefined;
    const from = given[0];
    if (from === 'inline') data = Buffer.from(r.inline as string, 'utf8');
    if (from === 'local') data = this.readLocal(r.local as string, [...at, 'local']);
    delete r.inline;
    delete r.local;
    if (data === undefined) return;
    if (isConfig) this.checkEmbeddedConfig(data, at, from!);
    const userCompression = typeof r.compression === 'string' && r.compression !== '';
    // Contents the user already compressed are only encoded, never compressed again.
    const enc = encodeContents(data, { compress: !userCompression && this.opts.compress !== false });
    r.source = enc.source;
    if (!userCompression) r.compression = enc.compression;
    this.p.alias([...at, from!], [...at, 'source']);
    this.p.alias([...at, from!], [...at, 'compression']);
  }

  private checkEmbeddedConfig(data: Buffer, at: P, from: string): void {
    const text = data.toString('utf8');
    // Butane validates an embedded config only when its version is the one Butane emits; any
    // other well-formed version is a warning ("skipping validation ... due to an unknown
    // version"). The embedded config's own warnings are Butane's warnings too.
    const version = embeddedVersion(text);
    if (version !== undefined && version !== this.target && /^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) {
      this.p.warn(
        'IGNITION_EMBEDDED_VERSION',
        [...at, from],
        `embedded Ignition config has spec version ${version}, not ${this.target}: not validated`,
        `write ignition.version ${this.target} in it to have it checked`,
      );
      return;
    }
    try {
      const r = parseIgnition(text, { source: `${at.join('.')}.${from}` });
      for (const w of r.warnings)
        this.p.warn('IGNITION_EMBEDDED_WARNING', [...at, from], `embedded Ignition config: ${w}`);
    } catch (err) {
      if (err instanceof MantleError) {
        this.p.error(
          err.code,
          [...at, from],
          `embedded Ignition config is invalid: ${err.message}`,
          err.hint,
        );
      } else throw err;
    }
  }

  private contentsLocal(u: Obj, at: P): void {
    if (u.contentsLocal === undefined) return;
    const local = u.contentsLocal as string;
    delete u.contentsLocal;
    if (u.contents !== undefined) {
      this.p.error(
        'IGNITION_TOO_MANY_SOURCES',
        [...at, 'contentsLocal'],
        'only one of contents and contents_local may be set',
        'keep one of them',
      );
      return;
    }
    const data = this.readLocal(local, [...at, 'contentsLocal']);
    if (data === undefined) return;
    u.contents = data.toString('utf8');
    this.p.alias([...at, 'contentsLocal'], [...at, 'contents']);
  }

  private sshKeysLocal(u: Obj, at: P): void {
    const files = u.sshAuthorizedKeysLocal as string[] | undefined;
    delete u.sshAuthorizedKeysLocal;
    if (!files || files.length === 0) return;
    const keys = (u.sshAuthorizedKeys as string[] | undefined) ?? [];
    files.forEach((file, i) => {
      const data = this.readLocal(file, [...at, 'sshAuthorizedKeysLocal', i]);
      if (data === undefined) return;
      for (const line of data.toString('utf8').split(/\r?\n/)) if (line !== '') keys.push(line);
    });
    if (keys.length > 0) u.sshAuthorizedKeys = keys;
    this.p.alias([...at, 'sshAuthorizedKeysLocal'], [...at, 'sshAuthorizedKeys']);
  }

  /** Read a file under filesDir, refusing paths (and symlinks) that lead outside it. */
  private readLocal(local: string, at: ConfigPath): Buffer | undefined {
    const dir = this.opts.filesDir;
    if (dir === undefined || dir === '') {
      this.p.error(
        'IGNITION_LOCAL_NO_FILES_DIR',
        at,
        `local file ${JSON.stringify(local)} needs a files directory`,
        'pass filesDir (butane -d/--files-dir) to say where local files live',
      );
      return undefined;
    }
    const base = resolve(dir);
    // Like Butane, join (not resolve): an absolute `local` still lands inside filesDir.
    const full = resolve(join(base, local));
    const escapes = (root: string, p: string): boolean => {
      const rel = relative(root, p);
      return rel === '..' || rel.startsWith(`..${'/'}`) || isAbsolute(rel);
    };
    if (escapes(base, full)) {
      this.p.error(
        'IGNITION_LOCAL_ESCAPE',
        at,
        `local path ${JSON.stringify(local)} leads outside the files directory ${dir}`,
        'keep local files inside the files directory',
      );
      return undefined;
    }
    try {
      const real = realpathSync(full);
      if (escapes(realpathSync(base), real)) {
        this.p.error(
          'IGNITION_LOCAL_ESCAPE',
          at,
          `local path ${JSON.stringify(local)} is a symlink leading outside the files directory ${dir}`,
          'copy the file into the files directory',
        );
        return undefined;
      }
      return readFileSync(real);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      this.p.error(
        'IGNITION_LOCAL_READ',
        at,
        `cannot read local file ${JSON.stringify(local)} in ${dir}: ${e.code ?? e.message}`,
        'check the path is relative to the files directory',
      );
      return undefined;
    }
  }
}

/** ignition.version of an embedded config, if it is JSON with one. */
function embeddedVersion(text: string): string | undefined {
  try {
    const v = (JSON.parse(text) as { ignition?: { version?: unknown } } | null)?.ignition?.version;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
