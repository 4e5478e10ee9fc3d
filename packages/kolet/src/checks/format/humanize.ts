// goss's text for one result and for a run: `Type: id: property: matches expectation: X`,
// the failure block (Expected / actual / message / expected, a diff of two texts, missing and
// extra elements, the transform chain and the raw value), titles and meta, and the summary.
import { paint } from '@mantle/core/log';
import { goJson, goSprint } from '../go/go-format.js';
import type { CheckReport, CheckResult } from '../types.js';
import { unifiedDiff } from './unified-diff.js';

/** ANSI colours as goss (fatih/color) prints them, or plain text. */
export interface Palette {
  green: (s: string) => string;
  red: (s: string) => string;
  yellow: (s: string) => string;
}

// fatih/color's 32/31/33, as node's styleText gives them (no escape table of our own).
export const COLOR: Palette = {
  green: (s) => paint('green', s, true),
  red: (s) => paint('red', s, true),
  yellow: (s) => paint('yellow', s, true),
};
export const NO_COLOR: Palette = { green: (s) => s, red: (s) => s, yellow: (s) => s };

/** What the output formats take besides the report. */
export interface OutputConfig {
  /** goss's --format-options: perfdata, verbose, pretty, sort, exclude_raw */
  options: readonly string[];
  palette: Palette;
}

/** goss's prettyPrint: compact JSON, each line indented by four spaces when asked. */
function prettyPrint(v: unknown, indent: boolean): string {
  const s = goJson(v).trimEnd();
  return indent ? indentLines(s) : s;
}

function indentLines(text: string): string {
  return text
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
}

/** The failure block of a result, lines joined by newlines (or spaces when compact). */
function failureDetails(r: CheckResult, compact: boolean, includeRaw: boolean): string {
  const sep = compact ? ' ' : '\n';
  const m = r.matcherResult;
  const ss: string[] = [];
  if (r.err !== undefined) {
    ss.push('Error', compact ? r.err.replace(/\s+/g, ' ') : indentLines(r.err));
  } else {
    ss.push('Expected', prettyPrint(m.actual, !compact), m.message, prettyPrint(m.expected, !compact));
    if (!compact && typeof m.expected === 'string' && typeof m.actual === 'string' && m.expected !== m.actual)
      ss.push('diff', indentLines(unifiedDiff(m.expected, m.actual)));
  }
  if (present(m.missingElements))
    ss.push('the missing elements were', prettyPrint(m.missingElements, !compact));
  if (present(m.extraElements)) ss.push('the extra elements were', prettyPrint(m.extraElements, !compact));
  if (m.transformChain && m.transformChain.length > 0) {
    ss.push('the transform chain was', prettyPrint(m.transformChain, !compact));
    if (includeRaw) ss.push('the raw value was', prettyPrint(m.untransformedValue, !compact));
  }
  return ss.join(sep);
}

/** goss's humanizeResult: one result as text (failures as a block, or one line when compact). */
export function humanizeResult(r: CheckResult, compact: boolean, includeRaw: boolean, p: Palette): string {
  const head = `${r.resourceType}: ${r.resourceId}: ${r.property}`;
  switch (r.status) {
    case 'pass':
      return p.green(`${head}: ${r.matcherResult.message}: ${prettyPrint(r.matcherResult.expected, false)}`);
    case 'fail':
      return p.red(`${head}:${compact ? ' ' : '\n'}${failureDetails(r, compact, includeRaw)}`);
    case 'skip':
      return p.yellow(`${head}: skipped`);
  }
}

/** `Title: ...` and `Meta:` lines shown before a resource's results. */
export function resultHeader(r: CheckResult): string {
  let out = '';
  if (r.title) out += `Title: ${r.title}\n`;
  if (r.meta !== null && r.meta !== undefined && typeof r.meta === 'object' && !Array.isArray(r.meta)) {
    out += 'Meta:\n';
    const meta = r.meta as Record<string, unknown>;
    for (const k of Object.keys(meta).sort()) out += `    ${k}: ${goSprint(meta[k])}\n`;
  }
  return out;
}

/** The results grouped by resource, in spec order (sorted by `Type:id` with the sort option). */
export function resultGroups(report: CheckReport, sort: boolean): CheckResult[][] {
  const groups = new Map<number, CheckResult[]>();
  for (const r of report.results) {
    const g = groups.get(r.group);
    if (g) g.push(r);
    else groups.set(r.group, [r]);
  }
  const list = [...groups.values()];
  return sort ? sortGroups(list) : list;
}

function sortKey(g: CheckResult[]): string {
  const r = g[0] as CheckResult;
  return `${r.resourceType}:${r.resourceId}`;
}

function sortGroups(groups: CheckResult[][]): CheckResult[][] {
  return [...groups].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
}

/** From the first result's start to the last one's end, in seconds. */
export function runSeconds(results: readonly CheckResult[]): number {
  if (results.length === 0) return 0;
  let start = Infinity;
  let end = -Infinity;
  for (const r of results) {
    start = Math.min(start, r.startTime);
    end = Math.max(end, r.endTime);
  }
  return Math.max(0, end - start) / 1000;
}

export interface Counts {
  count: number;
  failed: number;
  skipped: number;
}

export function counts(results: readonly CheckResult[]): Counts {
  return {
    count: results.length,
    failed: results.filter((r) => r.status === 'fail').length,
    skipped: results.filter((r) => r.status === 'skip').length,
  };
}

/** `Total Duration: X.XXXs` and `Count: N, Failed: F, Skipped: S`. */
export function summaryText(results: readonly CheckResult[], p: Palette): string {
  const c = counts(results);
  const counted = `Count: ${c.count}, Failed: ${c.failed}, Skipped: ${c.skipped}`;
  return `Total Duration: ${runSeconds(results).toFixed(3)}s\n${c.failed > 0 ? p.red(counted) : p.green(counted)}\n`;
}

/** `Failures/Skipped:` and every failed or skipped result again, grouped by resource, sorted. */
export function failedOrSkippedSummary(groups: CheckResult[][], includeRaw: boolean, p: Palette): string {
  const bad = groups.map((g) => g.filter((r) => r.status !== 'pass')).filter((g) => g.length > 0);
  if (bad.length === 0) return '';
  let s = 'Failures/Skipped:\n\n';
  for (const g of sortGroups(bad)) {
    s += resultHeader(g[0] as CheckResult);
    for (const r of g) s += `${humanizeResult(r, false, includeRaw, p)}\n`;
    s += '\n';
  }
  return s;
}
