import { readFile, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { InputError } from '@mantle/core/errors';
import { parseCheckSpec } from './parse-spec.js';
import { globPaths, globPatternProblem, hasGlobMagic } from './system/glob.js';
import type { TemplateData } from './template/render.js';
import { KIND_TITLES, type CheckSpec, type Resource, type SpecInclude } from './types.js';

export interface LoadSpecOptions {
  /** relative paths (the spec, includes of stdin) start here (default process.cwd()) */
  cwd?: string;
  /** reads all of stdin, for the path '-' */
  stdin?: () => Promise<string>;
  /** the data of templated specs (default: no vars, this process's environment) */
  template?: TemplateData;
  /** called with each file's text after its template rendered (goss render --debug) */
  onRendered?: (file: string, text: string) => void;
}

/** `file:line:col` of a gossfile entry. */
interface Link {
  file: string;
  line: number;
  col: number;
}

const linkText = (l: Link): string => `${l.file}:${l.line}:${l.col}`;

/**
 * Read a spec file ('-' reads stdin) with everything its `gossfile` entries include, each file
 * rendered as a template and validated. As in goss: include paths (and globs) are relative to
 * the including file, `skip: true` leaves an entry out, entries are read in the sorted order
 * of their keys, an include's checks come after the including file's, a resource defined
 * again replaces the earlier one (with a warning), and all files together must hold a check. A
 * file included twice (not in a cycle) is read once. Missing files, globs matching nothing and
 * include cycles are InputErrors (exit 2) naming the chain of files, lines and columns.
 */
export async function loadCheckSpec(path: string, opts: LoadSpecOptions = {}): Promise<CheckSpec> {
  const cwd = opts.cwd ?? process.cwd();
  let text: string;
  let real: string | undefined;
  if (path === '-') {
    if (!opts.stdin)
      throw new InputError({
        code: 'CHECK_SPEC_STDIN',
        message: 'check spec "-": no stdin available',
        hint: 'give a file path',
      });
    text = await opts.stdin();
  } else {
    try {
      text = await readFile(resolve(cwd, path), 'utf8');
      real = await realpath(resolve(cwd, path));
    } catch (err) {
      throw new InputError({
        code: 'CHECK_SPEC_UNREADABLE',
        message: `check spec ${path}: ${err instanceof Error ? err.message : String(err)}`,
        hint: 'give the path of a YAML check spec, or - to read it from stdin',
        cause: err,
      });
    }
  }
  const loader = new SpecLoader(cwd, opts.template ?? { vars: {}, env: process.env }, opts.onRendered);
  const baseDir = path === '-' ? cwd : dirname(resolve(cwd, path));
  if (real) loader.seen.add(real);
  await loader.add(path, text, baseDir, [], real ? [real] : []);
  const spec = loader.result(path);
  if (spec.resources.length === 0)
    throw new InputError({
      code: 'CHECK_SPEC_EMPTY',
      message: `invalid check spec ${path}: found 0 tests${(spec.files?.length ?? 1) > 1 ? ` in ${spec.files?.join(', ')}` : ''}`,
      hint: 'a spec needs at least one resource (user, file, service, command, ...), in it or in the files it includes',
    });
  return spec;
}

class SpecLoader {
  readonly seen = new Set<string>();
  private readonly files: string[] = [];
  private readonly resources: Resource[] = [];
  private readonly warnings: string[] = [];

  constructor(
    private readonly cwd: string,
    private readonly template: TemplateData,
    private readonly onRendered?: (file: string, text: string) => void,
  ) {}

  /** Parse one file's text, then load what it includes, depth first in the order written. */
  async add(file: string, text: string, baseDir: string, chain: Link[], ancestors: string[]): Promise<void> {
    const spec = parseCheckSpec(text, {
      file,
      template: this.template,
      allowEmpty: true,
      ...(this.onRendered ? { onRendered: (t: string) => this.onRendered?.(file, t) } : {}),
      ...(chain.length > 0 ? { includedFrom: chain.map(linkText) } : {}),
    });
    this.files.push(file);
    this.resources.push(...spec.resources);
    this.warnings.push(...(spec.warnings ?? []));
    // goss reads the gossfile entries in the sorted order of their keys.
    const includes = [...(spec.includes ?? [])].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const inc of includes) {
      if (inc.skip) continue;
      const here: Link = { file, line: inc.line, col: inc.col };
      const fail = (msg: string, showChain = true): never => {
        throw includeError(here, showChain ? chain : [], inc, msg, baseDir);
      };
      const pattern = isAbsolute(inc.path) ? inc.path : resolve(baseDir, inc.path);
      const bad = globPatternProblem(pattern);
      if (bad) fail(bad);
      const matches = await globPaths(pattern);
      if (matches.length === 0)
        fail(
          hasGlobMagic(inc.path)
            ? `no file matches ${this.show(pattern)}`
            : `no such file ${this.show(pattern)}`,
        );
      for (const match of matches) {
        const shown = this.show(match);
        let real: string;
        let childText: string;
        try {
          real = await realpath(match);
          if (ancestors.includes(real))
            fail(`include cycle: ${[...chain, here].map(linkText).join(' → ')} → ${shown}`, false);
          // Included before through another path (not a cycle): its checks are there already.
          if (this.seen.has(real)) continue;
          childText = await readFile(match, 'utf8');
        } catch (err) {
          if (err instanceof InputError) throw err;
          return fail(`cannot read ${shown}: ${err instanceof Error ? err.message : String(err)}`);
        }
        this.seen.add(real);
        await this.add(shown, childText, dirname(match), [...chain, here], [...ancestors, real]);
      }
    }
  }

  /** The merged spec: a resource defined again (kind and key) replaces the earlier one, as in goss. */
  result(file: string): CheckSpec {
    const index = new Map<string, number>();
    const kept: (Resource | undefined)[] = [];
    const warnings: string[] = [...this.warnings];
    for (const r of this.resources) {
      const key = `${r.kind}\0${r.id}`;
      const prev = index.get(key);
      if (prev !== undefined) {
        const old = kept[prev] as Resource;
        warnings.push(
          `${KIND_TITLES[r.kind]} '${r.id}' of ${r.file ?? file}:${r.line} replaces the one of ${old.file ?? file}:${old.line} (the last definition counts, as in goss)`,
        );
        kept[prev] = undefined;
      }
      index.set(key, kept.length);
      kept.push(r);
    }
    return {
      file,
      resources: kept.filter((r): r is Resource => r !== undefined),
      files: this.files,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }

  /** A path as messages show it: relative to the working directory when below it. */
  private show(abs: string): string {
    const rel = relative(this.cwd, abs);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
  }
}

function includeError(here: Link, chain: Link[], inc: SpecInclude, msg: string, baseDir: string): InputError {
  const from = chain.length > 0 ? ` (included from ${chain.map(linkText).join(' → ')})` : '';
  return new InputError({
    code: 'CHECK_SPEC_INCLUDE',
    message: `invalid check spec ${linkText(here)}: gossfile '${inc.key}': ${msg}${from}`,
    hint: `fix the gossfile entry in ${here.file} (or give it skip: true); relative paths start at ${baseDir}`,
    details: {
      file: here.file,
      line: here.line,
      col: here.col,
      include: inc.path,
      chain: chain.map(linkText),
    },
  });
}
