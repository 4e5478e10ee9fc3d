import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '@mantle/core';
import {
  LineCounter,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Node,
  type Pair,
} from 'yaml';
import type { z } from 'zod';
import { NON_CHECK_PROPS, PROPS_SCHEMAS, resourceIdProblem } from './spec-schema.js';
import { CHECK_KINDS, type CheckKind, type CheckSpec, type Resource } from './types.js';

/** One thing wrong with a spec, at a 1-based line and column. */
export interface SpecProblem {
  line: number;
  col: number;
  message: string;
}

export interface ParseSpecOptions {
  /** the file name used in messages (default `<inline>`) */
  file?: string;
}

const MAX_PROBLEMS = 20;

/**
 * Parse and validate a check spec (YAML with goss's top-level keys). Every problem is reported
 * with its line: unknown keys (top level and per resource), wrong types, bad resource keys,
 * bad regexes. Throws InputError (exit 2) listing them, the first one in the message.
 */
export function parseCheckSpec(text: string, opts: ParseSpecOptions = {}): CheckSpec {
  const file = opts.file ?? '<inline>';
  const { spec, problems } = analyzeCheckSpec(text, opts);
  if (problems.length > 0) {
    const lines = problems.map((p) => `${file}:${p.line}:${p.col}: ${p.message}`);
    throw new InputError({
      code: 'CHECK_SPEC_INVALID',
      message:
        lines.length === 1
          ? `invalid check spec ${lines[0]}`
          : `invalid check spec (${lines.length} problems):\n  ${lines.join('\n  ')}`,
      hint: `fix ${file}; the top-level keys are ${CHECK_KINDS.join(', ')}`,
      details: { file, problems },
    });
  }
  return spec;
}

/** Read a spec file ('-' reads the given stdin text) and parse it. */
export async function loadCheckSpec(
  path: string,
  opts: { cwd?: string; stdin?: () => Promise<string> } = {},
): Promise<CheckSpec> {
  let text: string;
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
      text = await readFile(resolve(opts.cwd ?? process.cwd(), path), 'utf8');
    } catch (err) {
      throw new InputError({
        code: 'CHECK_SPEC_UNREADABLE',
        message: `check spec ${path}: ${err instanceof Error ? err.message : String(err)}`,
        hint: 'give the path of a YAML check spec, or - to read it from stdin',
        cause: err,
      });
    }
  }
  return parseCheckSpec(text, { file: path });
}

/** Parse without throwing: the spec (resources that validated) and every problem found. */
export function analyzeCheckSpec(
  text: string,
  opts: ParseSpecOptions = {},
): { spec: CheckSpec; problems: SpecProblem[] } {
  const file = opts.file ?? '<inline>';
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems: SpecProblem[] = [];
  const resources: Resource[] = [];
  const at = (offset: number | undefined, message: string): void => {
    if (problems.length >= MAX_PROBLEMS) return;
    const pos = lc.linePos(offset ?? 0);
    problems.push({ line: Math.max(1, pos.line), col: Math.max(1, pos.col), message });
  };
  const spec: CheckSpec = { file, resources };

  if (doc.errors.length > 0) {
    for (const e of doc.errors) at(e.pos[0], `YAML syntax: ${e.message.split('\n')[0] ?? e.message}`);
    return { spec, problems };
  }
  analyzeRoot(doc, lc, at, resources);
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  return { spec, problems };
}

function analyzeRoot(
  doc: Document,
  lc: LineCounter,
  at: (offset: number | undefined, message: string) => void,
  resources: Resource[],
): void {
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    at(0, `the spec is empty: give at least one of ${CHECK_KINDS.join(', ')}`);
    return;
  }
  if (!isMap(root)) {
    at(start(root), `expected a mapping of resource kinds (${CHECK_KINDS.join(', ')}) at the top level`);
    return;
  }
  for (const pair of root.items) {
    const kindName = keyText(pair);
    if (kindName === undefined) {
      at(start(pair.key), 'expected a plain key');
      continue;
    }
    if (!(CHECK_KINDS as readonly string[]).includes(kindName)) {
      at(
        start(pair.key),
        `unknown key '${kindName}'${suggest(kindName, CHECK_KINDS)} (known: ${CHECK_KINDS.join(', ')})`,
      );
      continue;
    }
    const kind = kindName as CheckKind;
    const section = pair.value as Node | null;
    if (section === null || (isScalar(section) && section.value === null)) continue;
    if (!isMap(section)) {
      at(
        start(section) ?? start(pair.key),
        `${kind}: expected a mapping of ${kind} keys to their properties`,
      );
      continue;
    }
    for (const rp of section.items) parseResource(kind, rp, doc, at, resources, lc);
  }
}

function parseResource(
  kind: CheckKind,
  rp: Pair,
  doc: Document,
  at: (offset: number | undefined, message: string) => void,
  out: Resource[],
  lc: LineCounter,
): void {
  const id = keyText(rp);
  if (id === undefined) {
    at(start(rp.key), `${kind}: expected a plain key`);
    return;
  }
  const label = `${kind} '${id}'`;
  const idProblem = resourceIdProblem(kind, id);
  if (idProblem) at(start(rp.key), `${label}: ${idProblem}`);
  const schema: z.ZodType = PROPS_SCHEMAS[kind];
  const known = Object.keys((PROPS_SCHEMAS[kind] as unknown as { shape: Record<string, unknown> }).shape);
  const checkable = known.filter((k) => !NON_CHECK_PROPS.has(k));
  const node = rp.value as Node | null;
  if (node === null || (isScalar(node) && node.value === null)) {
    at(start(rp.key), `${label}: nothing to check: give at least one of ${checkable.join(', ')}`);
    return;
  }
  if (!isMap(node)) {
    at(
      start(node),
      `${label}: expected a mapping of properties (${checkable.join(', ')}), got ${describe(node.toJS(doc))}`,
    );
    return;
  }
  const input: unknown = node.toJS(doc);
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const holder = nodeAt(node, issue.path);
        for (const k of issue.keys) {
          const keyNode = isMap(holder) ? holder.items.find((p) => keyText(p) === k)?.key : undefined;
          at(
            start(keyNode) ?? start(node),
            `${label}: unknown key '${k}'${suggest(k, known)} (known: ${known.join(', ')})`,
          );
        }
        continue;
      }
      const target = nodeAt(node, issue.path);
      const value = valueAt(input, issue.path);
      const where = issue.path.length > 0 ? pathText(issue.path) : '(properties)';
      // Custom issues (bad regex, duration) already quote the value.
      const got = value === undefined || issue.code === 'custom' ? '' : `, got ${describe(value)}`;
      at(start(target) ?? start(node), `${label}: ${where}: ${issue.message}${got}`);
    }
    return;
  }
  const props = parsed.data as Record<string, unknown>;
  if (kind === 'file' && props.contents !== undefined) {
    props.contains = [...((props.contains as unknown[] | undefined) ?? []), ...(props.contents as unknown[])];
    delete props.contents;
  }
  if (!Object.keys(props).some((k) => !NON_CHECK_PROPS.has(k))) {
    at(start(rp.key), `${label}: nothing to check: give at least one of ${checkable.join(', ')}`);
    return;
  }
  out.push({ kind, id, props, line: Math.max(1, lc.linePos(start(rp.key) ?? 0).line) });
}

function keyText(pair: Pair): string | undefined {
  const k = pair.key;
  if (
    isScalar(k) &&
    (typeof k.value === 'string' || typeof k.value === 'number' || typeof k.value === 'boolean')
  )
    return String(k.value);
  if (typeof k === 'string') return k;
  return undefined;
}

function start(node: unknown): number | undefined {
  const r = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return r ? r[0] : undefined;
}

function nodeAt(node: Node, path: readonly PropertyKey[]): Node | undefined {
  let cur: unknown = node;
  for (const seg of path) {
    if (isMap(cur)) cur = cur.items.find((p) => keyText(p) === String(seg))?.value;
    else if (isSeq(cur)) cur = cur.items[Number(seg)];
    else return undefined;
  }
  return cur as Node | undefined;
}

function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? String(seg) : `.${String(seg)}`))
    .join('');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur = input;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

/** How a wrong value looks in a message. */
function describe(v: unknown): string {
  if (v === null) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint')
    return `${typeof v} ${v.toString()}`;
  return typeof v;
}

/** ", did you mean 'x'?" for a key within two edits of a known one. */
function suggest(word: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(word, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best ? `, did you mean '${best}'?` : '';
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] ?? 0;
      prev[j] = Math.min((prev[j] ?? 0) + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] ?? 0;
}
