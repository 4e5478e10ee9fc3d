import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InputError } from '@mantle/core/errors';
import { resolveInside } from '@mantle/core/fs';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { BUILTIN_SPEC } from './builtin.js';
import { releaseSpecSchema, type ReleaseSpec } from './schema.js';

/** A validated spec and where it came from. */
export interface LoadedSpec {
  spec: ReleaseSpec;
  /** `built-in` or the spec file's absolute path */
  source: string;
}

const MAX_PROBLEMS = 20;

/** The built-in spec, validated (a broken built-in spec is a bug: it throws like a bad file would). */
export function builtinSpec(): LoadedSpec {
  const r = releaseSpecSchema.safeParse(BUILTIN_SPEC);
  if (!r.success)
    throw invalid(
      'built-in spec',
      r.error.issues.map((i) => `${pathText(i.path)}: ${i.message}`),
    );
  return { spec: r.data, source: 'built-in' };
}

/** The built-in spec, or the one in `file` (YAML or JSON) when given; errors name file:line:col. */
export async function loadSpec(file: string | undefined, cwd = process.cwd()): Promise<LoadedSpec> {
  if (file === undefined) return builtinSpec();
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError({
      code: 'PLUME_SPEC_UNREADABLE',
      message: `--spec ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      hint: 'pass the path of a release spec (YAML or JSON); `plume spec show --json` prints the built-in one',
      cause: err,
      details: { flag: '--spec', file: path },
    });
  }
  const spec = parseSpecText(text, path);
  // Key paths are relative to the spec file, so a spec and its key travel together; they stay
  // inside its directory (core's confinement: no '..', no absolute path, no symlink on the way).
  for (const [name, ch] of Object.entries(spec.channels))
    if (ch.verifyKey !== undefined && !ch.verifyKey.includes('-----BEGIN'))
      ch.verifyKey = await keyPath(path, `channels.${name}.verifyKey`, ch.verifyKey);
  return { spec, source: path };
}

async function keyPath(specFile: string, field: string, key: string): Promise<string> {
  try {
    return (await resolveInside(dirname(specFile), key, { what: field, mustExist: false })).path;
  } catch (err) {
    throw new InputError({
      code: 'PLUME_SPEC_UNSAFE_PATH',
      message: `release spec ${specFile}: ${(err as Error).message}`,
      hint: `${field} is a key file relative to the spec's directory and inside it; pass --verify-key FILE for a key elsewhere`,
      cause: err,
      details: { file: specFile, field, value: key },
    });
  }
}

/** Parse and validate spec text; `source` names it in errors (`file:line:col: path: problem`). */
export function parseSpecText(text: string, source: string): ReleaseSpec {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): string => {
    const { line, col } = lc.linePos(offset);
    return `${source}:${Math.max(1, line)}:${Math.max(1, col)}`;
  };
  if (doc.errors.length > 0)
    throw invalid(
      source,
      doc.errors.slice(0, MAX_PROBLEMS).map((e) => `${at(e.pos[0])}: YAML syntax: ${firstLine(e.message)}`),
    );
  const r = releaseSpecSchema.safeParse(doc.toJS());
  if (r.success) return r.data;
  throw invalid(
    source,
    r.error.issues
      .slice(0, MAX_PROBLEMS)
      .map((i) => `${at(issueOffset(doc, i))}: ${pathText(i.path)}: ${i.message}`),
  );
}

function invalid(source: string, problems: string[]): InputError {
  return new InputError({
    code: 'PLUME_SPEC_INVALID',
    message: `release spec ${source} is invalid:\n  ${problems.join('\n  ')}`,
    hint: 'fix the spec at those lines; `plume spec show --json` prints a valid spec to start from',
    details: { file: source, problems },
  });
}

/** Where in the text an issue is: the offending key for unknown keys, else the deepest node on its path. */
function issueOffset(doc: Document, issue: z.core.$ZodIssue): number {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    const map = doc.getIn(path, true);
    if (isMap(map)) {
      const pair = map.items.find(
        (p) => isPair(p) && isScalar(p.key) && issue.keys.includes(String(p.key.value)),
      );
      const key = pair?.key as Node | undefined;
      if (key?.range) return key.range[0];
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as Node | null | undefined;
    if (node && typeof node === 'object' && 'range' in node && node.range) return node.range[0];
  }
  return 0;
}

/** `channels.alpha.aws.partitions[0].bucket` */
function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(top level)';
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).replace(/ at line \d+, column \d+:?$/, '');
}
