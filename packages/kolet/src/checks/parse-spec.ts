import { InputError } from '@mantle/core/errors';
import { isMap, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml';
import type { z } from 'zod';
import { goTypedInput } from './go-typed-fields.js';
import { parseGossYaml } from './goss-yaml.js';
import { CHECKED_ATTRIBUTES, GOSSFILE_SCHEMA, PROPS_SCHEMAS } from './spec-schema.js';
import { TemplateError } from './template/template-error.js';
import { renderTemplate, type RenderedText, type TemplateData } from './template/render.js';
import { CHECK_KINDS, type CheckKind, type CheckSpec, type Resource, type SpecInclude } from './types.js';
import { expectationProblems } from './validate-value.js';
import { editDistance } from '@mantle/core/text';

/** One thing wrong with a spec, at a 1-based line and column. */
export interface SpecProblem {
  line: number;
  col: number;
  message: string;
}

export interface ParseSpecOptions {
  /** the file name used in messages (default `<inline>`) */
  file?: string;
  /**
   * what `{{ .Vars }}` and `{{ .Env }}` of a templated spec are (default: no vars and this
   * process's environment); text without `{{` is used as it is
   */
  template?: TemplateData;
  /** `file:line:col` of the gossfile entries that led to this file, for messages */
  includedFrom?: string[];
  /** a spec without checks is fine (an included file: goss counts the checks of all files) */
  allowEmpty?: boolean;
  /** called with the text the template rendered */
  onRendered?: (text: string) => void;
}

/** The top-level keys of a spec: the check kinds and `gossfile` (includes). */
export const SPEC_TOP_LEVEL_KEYS: readonly string[] = [...CHECK_KINDS, 'gossfile'];

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
    const from = opts.includedFrom?.length ? ` (included from ${opts.includedFrom.join(' → ')})` : '';
    throw new InputError({
      code: 'CHECK_SPEC_INVALID',
      message:
        lines.length === 1
          ? `invalid check spec ${lines[0]}`
          : `invalid check spec (${lines.length} problems):\n  ${lines.join('\n  ')}`,
      hint: problems[0]?.message.startsWith('template: ')
        ? `fix the template in ${file}${from}: it is a Go text/template with goss's data (.Vars, .Env) and functions (Go's, Sprig's, goss's); {{"{{"}} writes a literal {{`
        : `fix ${file}${from}; the top-level keys are ${SPEC_TOP_LEVEL_KEYS.join(', ')}`,
      details: { file, problems, ...(opts.includedFrom ? { includedFrom: opts.includedFrom } : {}) },
    });
  }
  return spec;
}

/**
 * Parse without throwing: the spec (resources that validated), every problem found, and
 * warnings (`spec.warnings`, `file:line:col: message`) for what goss runs but reports as a
 * failed check (a matcher it cannot build) or ignores (an unknown top-level key).
 */
export function analyzeCheckSpec(
  text: string,
  opts: ParseSpecOptions = {},
): { spec: CheckSpec; problems: SpecProblem[] } {
  const file = opts.file ?? '<inline>';
  const problems: SpecProblem[] = [];
  const resources: Resource[] = [];
  const includes: SpecInclude[] = [];
  const position = positions(text);
  // Offsets are of the rendered text; messages name the template source's line and column.
  let rendered: RenderedText = { text, toSource: (o) => o };
  const at = (offset: number | undefined, message: string): void => {
    if (problems.length >= MAX_PROBLEMS) return;
    problems.push({ ...position(rendered.toSource(offset ?? 0)), message });
  };
  const spec: CheckSpec = { file, resources };
  const warnings: string[] = [];
  const warn: At = (offset, message) => {
    const p = position(rendered.toSource(offset ?? 0));
    warnings.push(`${file}:${p.line}:${p.col}: ${message}`);
  };

  try {
    rendered = renderTemplate(text, opts.template ?? { vars: {}, env: process.env });
    opts.onRendered?.(rendered.text);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    problems.push({ ...position(err.offset), message: `template: ${err.message}` });
    return { spec, problems };
  }
  const doc = parseGossYaml(rendered.text);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) at(e.pos[0], `YAML syntax: ${e.message.split('\n')[0] ?? e.message}`);
    return { spec, problems };
  }
  const where: Where = (offset) => position(rendered.toSource(offset ?? 0));
  analyzeRoot(doc, { at, warn, where, file, resources, includes, allowEmpty: opts.allowEmpty === true });
  if (resources.length === 0 && includes.length === 0 && problems.length === 0 && opts.allowEmpty !== true)
    at(0, `found 0 tests: give at least one of ${CHECK_KINDS.join(', ')} (or include files with gossfile)`);
  if (includes.length > 0) spec.includes = includes;
  if (warnings.length > 0) spec.warnings = warnings;
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  return { spec, problems };
}

/** offset -> 1-based line and column of a text. */
function positions(text: string): (offset: number) => { line: number; col: number } {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: Math.max(1, offset - (starts[lo] as number) + 1) };
  };
}

type At = (offset: number | undefined, message: string) => void;
/** The source line and column of an offset in the rendered text. */
type Where = (offset: number | undefined) => { line: number; col: number };

interface Analysis {
  at: At;
  warn: At;
  where: Where;
  file: string;
  resources: Resource[];
  includes: SpecInclude[];
  allowEmpty: boolean;
}

function analyzeRoot(doc: Document, a: Analysis): void {
  const { at } = a;
  const root = doc.contents;
  const known = SPEC_TOP_LEVEL_KEYS.join(', ');
  const empty = root === null || (isScalar(root) && (root.value === null || root.value === ''));
  if (!empty && !isMap(root)) {
    at(start(root), `expected a mapping of resource kinds (${known}) at the top level`);
    return;
  }
  for (const pair of empty ? [] : (root as { items: Pair[] }).items) {
    const kindName = keyText(pair);
    if (kindName === undefined) {
      at(start(pair.key), 'expected a plain key');
      continue;
    }
    if (kindName === 'gossfile') {
      parseIncludes(pair, doc, a);
      continue;
    }
    if (!(CHECK_KINDS as readonly string[]).includes(kindName)) {
      // goss reads the keys it knows and ignores the others; a typo is worth a warning.
      a.warn(
        start(pair.key),
        kindName === 'registry'
          ? "'registry' (Windows registry checks) is ignored: kolet checks Linux machines"
          : `unknown top-level key '${kindName}' is ignored, as goss ignores it${suggest(kindName, SPEC_TOP_LEVEL_KEYS)} (known: ${known})`,
      );
      continue;
    }
    const kind = kindName as CheckKind;
    const section = pair.value as Node | null;
    if (section === null || (isScalar(section) && section.value === null)) continue;
    if (!isMap(section)) {
      at(
        start(section) ?? start(pair.key),
        `${kind}: expected a mapping of ${kind} keys to their attributes`,
      );
      continue;
    }
    for (const rp of section.items) parseResource(kind, rp, doc, a);
  }
}

/** The `gossfile` section: each key (or its `file`) is a spec path or glob to include. */
function parseIncludes(pair: Pair, doc: Document, a: Analysis): void {
  const { at, where } = a;
  const section = pair.value as Node | null;
  if (section === null || (isScalar(section) && section.value === null)) return;
  if (!isMap(section)) {
    at(
      start(section) ?? start(pair.key),
      'gossfile: expected a mapping of spec paths (or globs) to {} or {skip: true}',
    );
    return;
  }
  for (const ip of section.items) {
    const key = keyText(ip);
    if (key === undefined || key.trim() === '') {
      at(start(ip.key), 'gossfile: expected a path or glob as the key');
      continue;
    }
    const label = `gossfile '${key}'`;
    const node = ip.value as Node | null;
    const input: unknown = node === null ? {} : goTypedInput(node, node.toJS(doc), GOSSFILE_SCHEMA.shape);
    const parsed = GOSSFILE_SCHEMA.safeParse(input ?? {});
    if (!parsed.success) {
      reportIssues(
        parsed.error.issues,
        node,
        input,
        label,
        Object.keys(GOSSFILE_SCHEMA.shape),
        at,
        start(ip.key),
      );
      continue;
    }
    a.includes.push({
      key,
      path: parsed.data.file ?? key,
      skip: parsed.data.skip === true,
      ...where(start(ip.key)),
    });
  }
}

function parseResource(kind: CheckKind, rp: Pair, doc: Document, a: Analysis): void {
  const { at, where } = a;
  const id = keyText(rp);
  if (id === undefined) {
    at(start(rp.key), `${kind}: expected a plain key`);
    return;
  }
  const label = `${kind} '${id}'`;
  const schema: z.ZodType = PROPS_SCHEMAS[kind];
  const shape = (PROPS_SCHEMAS[kind] as unknown as { shape: Record<string, z.ZodType> }).shape;
  const known = Object.keys(shape);
  const node = rp.value as Node | null;
  if (node === null || (isScalar(node) && node.value === null)) {
    at(
      start(rp.key),
      `${label}: expected a mapping of attributes (${CHECKED_ATTRIBUTES[kind].join(', ')}), got nothing`,
    );
    return;
  }
  if (!isMap(node)) {
    at(
      start(node),
      `${label}: expected a mapping of attributes (${CHECKED_ATTRIBUTES[kind].join(', ')}), got ${describe(node.toJS(doc))}`,
    );
    return;
  }
  const input: unknown = goTypedInput(node, node.toJS(doc), shape);
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    reportIssues(parsed.error.issues, node, input, label, known, at, start(node));
    return;
  }
  const props = parsed.data as Record<string, unknown>;
  // What goss would report as a failed check ("Syntax Error: ...") is worth knowing before.
  for (const { attribute, message } of expectationProblems(kind, props)) {
    const valueNode = node.items.find((p) => keyText(p) === attribute);
    a.warn(start(valueNode?.value) ?? start(rp.key), `${label}: ${attribute}: ${message}`);
  }
  const pos = where(start(rp.key));
  a.resources.push({ kind, id, props, line: pos.line, col: pos.col, file: a.file });
}

/** Report zod issues at their nodes: unknown keys (with a suggestion) and wrong types. */
function reportIssues(
  issues: readonly z.core.$ZodIssue[],
  node: Node | null,
  input: unknown,
  label: string,
  known: string[],
  at: At,
  fallback: number | undefined,
): void {
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const holder = node ? nodeAt(node, issue.path) : undefined;
      for (const k of issue.keys) {
        const keyNode = isMap(holder) ? holder.items.find((p) => keyText(p) === k)?.key : undefined;
        at(
          start(keyNode) ?? fallback,
          `${label}: unknown key '${k}'${suggest(k, known)} (known: ${known.join(', ')})`,
        );
      }
      continue;
    }
    const target = node ? nodeAt(node, issue.path) : undefined;
    const value = valueAt(input, issue.path);
    const where = issue.path.length > 0 ? pathText(issue.path) : '(attributes)';
    // Custom issues (a bad duration) already say what they expected.
    const got = value === undefined || issue.code === 'custom' ? '' : `, got ${describe(value)}`;
    at(start(target) ?? fallback, `${label}: ${where}: ${issue.message}${got}`);
  }
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
