// goss's output formats by name, and its format options.
import type { CheckReport } from '../types.js';
import { COLOR, NO_COLOR } from './humanize.js';
import { json, junit, prometheus, structured } from './machine-outputs.js';
import { documentation, nagios, rspecish, silent, tap, type Output } from './text-outputs.js';

export const CHECK_FORMATS = [
  'documentation',
  'json',
  'junit',
  'nagios',
  'prometheus',
  'rspecish',
  'silent',
  'structured',
  'tap',
] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

/** goss's --format-options, and which formats read them. */
export const FORMAT_OPTIONS = ['exclude_raw', 'perfdata', 'pretty', 'sort', 'verbose'] as const;
export type FormatOption = (typeof FORMAT_OPTIONS)[number];

/** Formats that never colour (goss turns colour off for them). */
const PLAIN: ReadonlySet<CheckFormat> = new Set([
  'json',
  'junit',
  'structured',
  'prometheus',
  'silent',
  'nagios',
]);

export interface FormatReportOptions {
  options?: readonly string[];
  /** ANSI colours (documentation, rspecish, tap); default off */
  color?: boolean;
}

/** A report in one of goss's formats, with goss's exit code for it. */
export function formatReport(
  report: CheckReport,
  format: CheckFormat,
  opts: FormatReportOptions = {},
): Output {
  const c = { options: opts.options ?? [], palette: opts.color && !PLAIN.has(format) ? COLOR : NO_COLOR };
  switch (format) {
    case 'documentation':
      return documentation(report, c);
    case 'rspecish':
      return rspecish(report, c);
    case 'tap':
      return tap(report, c);
    case 'nagios':
      return nagios(report, c);
    case 'silent':
      return silent(report);
    case 'json':
      return json(report, c);
    case 'structured':
      return structured(report, c);
    case 'junit':
      return junit(report, c);
    case 'prometheus':
      return prometheus(report, c);
  }
}

/** The report as text in a format (no colour). */
export function formatCheckReport(
  report: CheckReport,
  format: CheckFormat,
  options: readonly string[] = [],
): string {
  return formatReport(report, format, { options }).text;
}

/** `Count: N, Failed: F, Skipped: S, Duration: X.XXXs`, goss's one-line summary. */
export function summaryLine(report: CheckReport): string {
  const s = report.summary;
  return `Count: ${s.count}, Failed: ${s.failed}, Skipped: ${s.skipped}, Duration: ${(s.durationMs / 1000).toFixed(3)}s`;
}

export type { Output };
