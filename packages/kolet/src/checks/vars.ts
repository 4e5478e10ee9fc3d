import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '@mantle/core/errors';
import { LineCounter, Scalar, stringify, visit, type Document } from 'yaml';
import { GoFloat, isPlainObject } from './go/go-format.js';
import { parseGossYaml } from './goss-yaml.js';

export interface TemplateVarsOptions {
  /** `--vars FILE` (repeatable): YAML or JSON; later files override earlier ones key by key */
  file?: string | readonly string[] | undefined;
  /** `--vars-inline TEXT`: YAML or JSON; its top-level keys replace the files' (as goss) */
  inline?: string | undefined;
  cwd?: string;
}

/**
 * The `.Vars` of spec templates, as goss loads them: every --vars file merged into the last
 * (a later file's non-empty values override, mappings merge deeply), then --vars-inline's
 * top-level keys over them. Text that is JSON is read as JSON (numbers are Go float64s, which
 * templates print as Go prints floats), anything else as YAML.
 */
export async function loadTemplateVars(opts: TemplateVarsOptions): Promise<Record<string, unknown>> {
  let vars: Record<string, unknown> = {};
  const files = opts.file === undefined ? [] : typeof opts.file === 'string' ? [opts.file] : opts.file;
  for (const file of files) {
    if (file === '') continue;
    let text: string;
    try {
      text = await readFile(resolve(opts.cwd ?? process.cwd(), file), 'utf8');
    } catch (err) {
      throw new InputError({
        code: 'CHECK_VARS_UNREADABLE',
        message: `--vars ${file}: ${err instanceof Error ? err.message : String(err)}`,
        hint: 'give the path of a YAML or JSON file holding a mapping of variables',
        cause: err,
      });
    }
    vars = mergeVars(vars, parseTemplateVars(text, file));
  }
  if (opts.inline !== undefined && opts.inline !== '')
    vars = { ...vars, ...parseTemplateVars(opts.inline, '--vars-inline') };
  return vars;
}

/** goss's merge of vars files (mergo with override): mappings merge, other non-empty values replace. */
export function mergeVars(
  dst: Record<string, unknown>,
  src: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...dst };
  for (const [k, v] of Object.entries(src)) {
    const old = out[k];
    if (isPlainObject(old) && isPlainObject(v)) out[k] = mergeVars(old, v);
    else if (!isEmptyValue(v) || !(k in out)) out[k] = v;
  }
  return out;
}

function isEmptyValue(v: unknown): boolean {
  return (
    v === null ||
    v === undefined ||
    v === '' ||
    v === 0 ||
    v === false ||
    (v instanceof GoFloat && v.value === 0)
  );
}

/** Parse vars text (JSON, else YAML) that must be a mapping; InputError (exit 2) with line:col otherwise. */
export function parseTemplateVars(text: string, source: string): Record<string, unknown> {
  const fail = (line: number, col: number, message: string): never => {
    throw new InputError({
      code: 'CHECK_VARS_INVALID',
      message: `invalid vars ${source}:${Math.max(1, line)}:${Math.max(1, col)}: ${message}`,
      hint:
        source === '--vars-inline'
          ? `give a YAML or JSON mapping, e.g. --vars-inline '{"name": "value"}'`
          : `fix ${source}: it holds a YAML or JSON mapping of variable names to values`,
    });
  };
  let value: unknown;
  let json = true;
  try {
    value = JSON.parse(text, (_k, v: unknown) => (typeof v === 'number' ? new GoFloat(v) : v));
  } catch {
    json = false;
  }
  let doc: Document | undefined;
  const lc = new LineCounter();
  if (!json) {
    doc = parseGossYaml(text, { lineCounter: lc });
    const err = doc.errors[0];
    if (err) {
      const p = lc.linePos(err.pos[0]);
      return fail(p.line, p.col, `YAML syntax: ${err.message.split('\n')[0] ?? err.message}`);
    }
    // YAML floats are Go float64s (2.0 prints as 2 but is no int).
    visit(doc, {
      Scalar(_key, node) {
        const src = node.range ? text.slice(node.range[0], node.range[1]) : '';
        if (typeof node.value === 'number' && /[.eE]|inf|nan/i.test(src) && !/^[-+]?0[xXoObB]/.test(src))
          node.value = new GoFloat(node.value);
      },
    });
    value = doc.toJS();
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof GoFloat) {
    const offset = (doc?.contents as { range?: [number] } | null | undefined)?.range?.[0] ?? 0;
    const p = lc.linePos(offset);
    return fail(
      p.line,
      p.col,
      `expected a mapping of variable names to values, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * Vars as YAML text for `--vars-inline` on another machine: Go float64s stay floats (`2.0`),
 * so the machine's templates see the same values the files gave.
 */
export function templateVarsText(vars: Record<string, unknown>): string {
  const toNodes = (v: unknown): unknown => {
    if (v instanceof GoFloat)
      return Object.assign(new Scalar(v.value), { minFractionDigits: Number.isInteger(v.value) ? 1 : 0 });
    if (Array.isArray(v)) return v.map(toNodes);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toNodes(x)]));
    return v;
  };
  return stringify(toNodes(vars), { lineWidth: 0 });
}
