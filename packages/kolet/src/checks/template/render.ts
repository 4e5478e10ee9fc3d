// Rendering a spec template as goss does: Go's text/template with Sprig's functions and
// goss's own over them, the data {.Vars, .Env}, and missingkey=error.
import type { FuncContext, TemplateFunc } from './func-types.js';
import { GO_FUNCS } from './funcs-go.js';
import { GOSS_FUNCS } from './funcs-goss.js';
import { SPRIG_FUNCS } from './funcs-sprig.js';
import { Executor, type Segment } from './exec.js';
import { hasTemplateSyntax } from './lex.js';
import { parseTemplate } from './parse.js';
import { TemplateRoot } from './values.js';

/** What a spec template sees: `.Vars` (--vars, then --vars-inline over it) and `.Env`. */
export interface TemplateData {
  vars: Record<string, unknown>;
  env: Record<string, string | undefined>;
  /** where readFile's relative paths start (default: this process's working directory) */
  cwd?: string;
}

/** Rendered text that still knows where each of its characters came from. */
export interface RenderedText {
  text: string;
  /** the source offset of a rendered offset (a printed value maps to its action's `{{`) */
  toSource(offset: number): number;
}

/** Every function a template may call: Go's, Sprig's, and goss's (which win over Sprig's). */
export const TEMPLATE_FUNCS: Readonly<Record<string, TemplateFunc>> = {
  ...GO_FUNCS,
  ...SPRIG_FUNCS,
  ...GOSS_FUNCS,
};

/** The names of the template functions, sorted. */
export const TEMPLATE_FUNCTIONS: readonly string[] = Object.keys(TEMPLATE_FUNCS).sort();

/**
 * Render a spec as goss renders it. Text without `{{` is returned as it is. Throws
 * TemplateError (with the source offset) for a syntax error and for what fails while
 * executing (a missing key, a function given the wrong type, ...).
 */
export function renderTemplate(src: string, data: TemplateData): RenderedText {
  if (!hasTemplateSyntax(src)) return { text: src, toSource: (o) => o };
  const tree = parseTemplate(src, (name) => Object.hasOwn(TEMPLATE_FUNCS, name));
  const env = new Map<string, string>();
  for (const [k, v] of Object.entries(data.env)) if (v !== undefined) env.set(k, v);
  const fctx: FuncContext = { env, cwd: data.cwd ?? process.cwd() };
  const ex = new Executor(tree, TEMPLATE_FUNCS, fctx);
  ex.run(new TemplateRoot(data.vars, env));
  return { text: ex.chunks.join(''), toSource: sourceMap(ex.segments) };
}

function sourceMap(segs: Segment[]): (offset: number) => number {
  return (offset) => {
    let lo = 0;
    let hi = segs.length - 1;
    if (hi < 0) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((segs[mid] as Segment).out <= offset) lo = mid;
      else hi = mid - 1;
    }
    const s = segs[lo] as Segment;
    return s.literal ? s.src + Math.max(0, offset - s.out) : s.src;
  };
}
