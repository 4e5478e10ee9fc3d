import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '@mantle/core/errors';
import { LineCounter, parseDocument } from 'yaml';

export interface TemplateVarsOptions {
  /** `--vars FILE`: YAML or JSON (JSON is YAML) */
  file?: string | undefined;
  /** `--vars-inline TEXT`: YAML or JSON; its top-level keys replace the file's (as goss) */
  inline?: string | undefined;
  cwd?: string;
}

/** The `.Vars` of spec templates: the --vars file, then --vars-inline over it. */
export async function loadTemplateVars(opts: TemplateVarsOptions): Promise<Record<string, unknown>> {
  let vars: Record<string, unknown> = {};
  if (opts.file !== undefined) {
    let text: string;
    try {
      text = await readFile(resolve(opts.cwd ?? process.cwd(), opts.file), 'utf8');
    } catch (err) {
      throw new InputError({
        code: 'CHECK_VARS_UNREADABLE',
        message: `--vars ${opts.file}: ${err instanceof Error ? err.message : String(err)}`,
        hint: 'give the path of a YAML or JSON file holding a mapping of variables',
        cause: err,
      });
    }
    vars = parseTemplateVars(text, opts.file);
  }
  if (opts.inline !== undefined) vars = { ...vars, ...parseTemplateVars(opts.inline, '--vars-inline') };
  return vars;
}

/** Parse vars text (YAML or JSON) that must be a mapping; InputError (exit 2) with line:col otherwise. */
export function parseTemplateVars(text: string, source: string): Record<string, unknown> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const fail = (offset: number, message: string): never => {
    const { line, col } = lc.linePos(offset);
    throw new InputError({
      code: 'CHECK_VARS_INVALID',
      message: `invalid vars ${source}:${Math.max(1, line)}:${Math.max(1, col)}: ${message}`,
      hint:
        source === '--vars-inline'
          ? `give a YAML or JSON mapping, e.g. --vars-inline '{"name": "value"}'`
          : `fix ${source}: it holds a YAML or JSON mapping of variable names to values`,
    });
  };
  const err = doc.errors[0];
  if (err) return fail(err.pos[0], `YAML syntax: ${err.message.split('\n')[0] ?? err.message}`);
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    return fail(
      (doc.contents as { range?: [number] } | null)?.range?.[0] ?? 0,
      `expected a mapping of variable names to values, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`,
    );
  return value as Record<string, unknown>;
}
