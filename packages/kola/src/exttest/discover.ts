import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { normalizeTest } from '../registry/define-test.js';
import { parseDuration } from '../registry/duration.js';
import {
  IGNORED_COSA_KEYS,
  METADATA_FILES,
  parseInlineMetadata,
  readDirMetadata,
  splitWords,
  type DirMetadata,
  type TestMetadata,
} from './metadata.js';
import { extTestBody } from './run-exttest.js';
import type { KolaTest, TestDefinition } from '../types.js';

/** One external test found on disk, before it becomes a KolaTest. */
export interface ExtTestSpec {
  name: string;
  /** absolute path of the executable */
  executable: string;
  /** absolute path of its `data` directory, when there is one */
  dataDir: string | undefined;
  /** the merged metadata (directory file, its per-file section, inline) */
  metadata: TestMetadata;
  /** where each part of the metadata came from, for messages */
  metadataSources: string[];
  userData: string | undefined;
}

// Files in a test directory that are never tests themselves.
const NOT_TESTS =
  /^(\.|readme|license|copying|changelog)|\.(md|txt|rst|json|ya?ml|bu|ign|conf|cfg|ini|toml)$/i;
const CONFIGS = ['config.bu', 'config.ign'] as const;

/**
 * Find external tests under each `-E DIR` (coreos-assembler's convention): DIR/tests/kola when
 * it exists, else DIR itself, searched recursively (`data` directories excepted). Every regular
 * file except metadata, configs and documents is a test and must be executable. Tests are named
 * `ext.<basename DIR>.<subdirs...>.<file>`; a directory whose only executable is `test.sh` gives
 * `ext.<basename DIR>.<subdirs...>`.
 */
export async function discoverExtTests(
  dirs: readonly string[],
  opts: { cwd?: string; logger?: Logger } = {},
): Promise<ExtTestSpec[]> {
  const out: ExtTestSpec[] = [];
  for (const d of dirs) {
    const abs = resolve(opts.cwd ?? process.cwd(), d);
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new InputError({
        code: 'EXTTEST_DIR_MISSING',
        message: `--exttest ${d}: ${st ? 'not a directory' : 'no such directory'} (${abs})`,
        hint: 'give a directory holding test executables (or a project with tests/kola/)',
        details: { dir: abs },
      });
    }
    const nested = join(abs, 'tests', 'kola');
    const root = (await stat(nested).catch(() => undefined))?.isDirectory() ? nested : abs;
    const project = sanitize(basename(abs));
    const found: ExtTestSpec[] = [];
    await walk(root, root, project, found, opts.logger, await realpath(abs));
    if (found.length === 0) {
      throw new InputError({
        code: 'EXTTEST_EMPTY',
        message: `--exttest ${d}: no test executables found in ${root}`,
        hint: 'put executable files (chmod +x) there; kola.json/kola.yaml, config.bu/config.ign and data/ are optional',
        details: { dir: root },
      });
    }
    out.push(...found);
  }
  const seen = new Map<string, string>();
  for (const t of out) {
    const other = seen.get(t.name);
    if (other) {
      throw new InputError({
        code: 'DUPLICATE_TEST',
        message: `external test ${t.name} is defined twice: by ${other} and by ${t.executable}`,
        hint: "rename one of them, or give one a 'name' in its metadata",
      });
    }
    seen.set(t.name, t.executable);
  }
  return out;
}

async function walk(
  dir: string,
  root: string,
  project: string,
  out: ExtTestSpec[],
  logger: Logger | undefined,
  top: string,
): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  // Everything read from the test directory (metadata, configs, executables, data/, check
  // specs, subdirectories) must be in it: a link may point elsewhere inside -E DIR, never out.
  for (const e of entries) if (e.isSymbolicLink()) await checkInside(join(dir, e.name), top);
  const metaFiles = entries
    .filter((e) => (METADATA_FILES as readonly string[]).includes(e.name))
    .map((e) => join(dir, e.name));
  if (metaFiles.length > 1) {
    throw new InputError({
      code: 'EXTTEST_BAD_METADATA',
      message: `external test directory ${dir} has ${metaFiles.map((f) => basename(f)).join(' and ')}; give only one`,
      hint: 'keep kola.json or kola.yaml, not both',
    });
  }
  const dirMeta: DirMetadata = metaFiles[0] ? await readDirMetadata(metaFiles[0]) : {};
  const referenced = new Set<string>();
  for (const [key, m] of [['', dirMeta] as const, ...Object.entries(dirMeta.tests ?? {})]) {
    if (typeof m.checks === 'string' && !/[\r\n]/.test(m.checks)) {
      const file = resolve(dir, m.checks.trim());
      await checkInside(file, top, `${metaFiles[0] ?? dir}: field '${key ? `tests.${key}.` : ''}checks'`);
      referenced.add(file);
    }
  }

  const executables: { name: string; path: string; content: Buffer }[] = [];
  const subdirs: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    const st = await stat(path).catch(() => undefined);
    if (!st) continue; // a dangling symlink
    if (st.isDirectory()) {
      if (e.name !== 'data' && !e.name.startsWith('.')) subdirs.push(path);
      continue;
    }
    if (!st.isFile() || NOT_TESTS.test(e.name) || referenced.has(path)) continue;
    if ((st.mode & 0o111) === 0) {
      throw new InputError({
        code: 'EXTTEST_NOT_EXECUTABLE',
        message: `external test ${path} is not executable`,
        hint: `make it executable (chmod +x ${path}), or give it a non-test extension such as .txt or .md`,
        details: { file: path },
      });
    }
    executables.push({ name: e.name, path, content: await readFile(path) });
  }

  const relParts = relative(root, dir).split(sep).filter(Boolean).map(sanitize);
  const dataDir =
    entries.some((e) => e.name === 'data') &&
    (await stat(join(dir, 'data')).catch(() => undefined))?.isDirectory()
      ? join(dir, 'data')
      : undefined;
  const userData = await readConfig(
    dir,
    entries.map((e) => e.name),
  );
  for (const known of Object.keys(dirMeta.tests ?? {})) {
    if (!executables.some((x) => x.name === known)) {
      throw new InputError({
        code: 'EXTTEST_BAD_METADATA',
        message: `external test metadata ${metaFiles[0] ?? dir}: field 'tests.${known}': there is no executable ${known} in ${dir}`,
        hint: `the keys of 'tests' are executable file names in that directory (found: ${executables.map((x) => x.name).join(', ') || 'none'})`,
      });
    }
  }
  const soleTestSh = executables.length === 1 && executables[0]?.name === 'test.sh';
  for (const x of executables) {
    const { tests: _perFile, ...shared } = dirMeta;
    const perFile = dirMeta.tests?.[x.name];
    const inline = parseInlineMetadata(x.content, x.path);
    const metadata: TestMetadata = { ...shared, ...(perFile ?? {}), ...(inline ?? {}) };
    const sources = [
      metaFiles[0],
      perFile ? `${metaFiles[0] ?? ''} tests.${x.name}` : undefined,
      inline ? `${x.path} (inline)` : undefined,
    ].filter((s): s is string => s !== undefined);
    const ignored = IGNORED_COSA_KEYS.filter((k) => (metadata as Record<string, unknown>)[k] !== undefined);
    if (ignored.length > 0)
      logger?.warn(
        `${x.path}: metadata key(s) ${ignored.join(', ')} are accepted for coreos-assembler compatibility but ignored`,
      );
    if (inline && typeof inline.checks === 'string' && !/[\r\n]/.test(inline.checks))
      await checkInside(resolve(dir, inline.checks.trim()), top, `${x.path} (inline): field 'checks'`);
    const defaultName = ['ext', project, ...relParts, ...(soleTestSh ? [] : [sanitize(x.name)])].join('.');
    out.push({
      name: metadata.name ?? defaultName,
      executable: x.path,
      dataDir,
      metadata,
      metadataSources: sources,
      userData: metadata.userData ?? userData,
    });
  }
  for (const s of subdirs) await walk(s, root, project, out, logger, top);
}

// config.bu or config.ign beside the tests (cosa), read as user data.
async function readConfig(dir: string, names: string[]): Promise<string | undefined> {
  const present = CONFIGS.filter((c) => names.includes(c));
  if (present.length > 1) {
    throw new InputError({
      code: 'EXTTEST_BAD_METADATA',
      message: `external test directory ${dir} has both config.bu and config.ign`,
      hint: 'keep one of them',
    });
  }
  return present[0] ? readFile(join(dir, present[0]), 'utf8') : undefined;
}

/**
 * Refuse a path of an external test directory that leaves it (`..`, an absolute path, or a link
 * whose target is outside): its content would be read on the host and sent to the machines.
 */
async function checkInside(path: string, top: string, what?: string): Promise<void> {
  // Missing or dangling: the walk skips it, and a missing checks file is reported where it is read.
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined) return;
  const rel = relative(top, real);
  if (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)) return;
  throw new InputError({
    code: 'EXTTEST_OUTSIDE',
    message: `${what ?? 'external test directory entry'}: ${path}${real !== path ? ` leads to ${real}, which` : ''} is outside the test directory ${top}`,
    hint: 'keep everything a test reads inside its -E directory (copy the file in rather than linking to it)',
    details: { path, real, dir: top },
  });
}

// Test names may not hold whitespace, '/' or glob characters.
function sanitize(part: string): string {
  return part.replace(/[^A-Za-z0-9._:+@=-]/g, '_');
}

/** Turn a found external test into a KolaTest (its source is the executable's path). */
export function extTestToKolaTest(t: ExtTestSpec): KolaTest {
  const m = t.metadata;
  const platforms = splitWords(m.platforms);
  const distros = splitWords(m.distros);
  const arches = splitWords(m.architectures);
  const where = t.metadataSources.join(', ') || t.executable;
  const def: TestDefinition = {
    name: t.name,
    description: m.description ?? `external test ${t.executable}`,
    run: extTestBody({ name: t.name, executable: t.executable, dataDir: t.dataDir }),
    platforms: platforms.allow,
    excludePlatforms: platforms.deny,
    distros: distros.allow,
    excludeDistros: distros.deny,
    architectures: arches.allow,
    excludeArchitectures: arches.deny,
    tags: splitWords(m.tags).allow,
    flags: m.flags ?? [],
  };
  if (m.clusterSize !== undefined) def.clusterSize = m.clusterSize;
  if (m.timeout !== undefined) def.timeout = parseDuration(m.timeout, `${where}: timeout`);
  else if (m.timeoutMin !== undefined)
    def.timeout = parseDuration(m.timeoutMin * 60_000, `${where}: timeoutMin ${m.timeoutMin}`);
  if (t.userData !== undefined) def.userData = t.userData;
  if (m.checks !== undefined) def.checks = m.checks;
  return normalizeTest(def, t.executable);
}

/** Discover the external tests of `-E` directories as KolaTests. */
export async function loadExtTests(
  dirs: readonly string[],
  opts: { cwd?: string; logger?: Logger } = {},
): Promise<KolaTest[]> {
  return (await discoverExtTests(dirs, opts)).map(extTestToKolaTest);
}
