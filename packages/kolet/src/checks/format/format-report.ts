import type { CheckReport, CheckResult } from '../types.js';

export const CHECK_FORMATS = ['documentation', 'json', 'tap'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

/** `Count: N, Failed: F, Skipped: S, Duration: X.XXXs`, goss's summary line. */
export function summaryLine(report: CheckReport): string {
  const s = report.summary;
  return `Count: ${s.count}, Failed: ${s.failed}, Skipped: ${s.skipped}, Duration: ${(s.durationMs / 1000).toFixed(3)}s`;
}

/** `Title: id: property: message`, one check as a line (goss's documentation format). */
export function resultLine(r: CheckResult): string {
  const title = r.title ? `${r.title}: ` : '';
  return `${title}${r.resourceType}: ${r.resourceId}: ${r.property}: ${r.message}`;
}

/** Render a report in one of the formats; the text ends with a newline. */
export function formatCheckReport(report: CheckReport, format: CheckFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(checkReportJson(report), null, 2) + '\n';
    case 'tap':
      return formatTap(report);
    default:
      return formatDocumentation(report);
  }
}

/** One line per check, then the failures again (so they are found in long output), then the summary. */
export function formatDocumentation(report: CheckReport): string {
  const lines = report.results.map(resultLine);
  const failures = report.results.filter((r) => r.status === 'fail');
  lines.push('');
  if (failures.length > 0) {
    lines.push('Failures:');
    for (const f of failures) lines.push(`  ${resultLine(f)}`);
    lines.push('');
  }
  lines.push(summaryLine(report));
  return lines.join('\n') + '\n';
}

/** TAP 13: `1..N`, `ok N - line`, `ok N - line # SKIP reason`, `not ok N - line`, summary as a comment. */
export function formatTap(report: CheckReport): string {
  const lines = [`1..${report.results.length}`];
  report.results.forEach((r, i) => {
    const n = i + 1;
    const head = `${r.resourceType}: ${r.resourceId}: ${r.property}`;
    if (r.status === 'skip') lines.push(`ok ${n} - ${head} # SKIP ${r.message.replace(/^skipped: /, '')}`);
    else lines.push(`${r.status === 'pass' ? 'ok' : 'not ok'} ${n} - ${head}: ${r.message}`);
  });
  lines.push(`# ${summaryLine(report)}`);
  return lines.join('\n') + '\n';
}

/** The JSON shape of `--format json` (goss's field names, durations in milliseconds). */
export interface CheckReportJson {
  results: {
    'resource-type': string;
    'resource-id': string;
    kind: string;
    title?: string;
    property: string;
    result: 'pass' | 'fail' | 'skip';
    successful: boolean;
    skipped: boolean;
    expected: unknown;
    found: unknown;
    'summary-line': string;
    duration: number;
    meta?: unknown;
  }[];
  summary: {
    'test-count': number;
    'failed-count': number;
    'skipped-count': number;
    'total-duration': number;
    'summary-line': string;
  };
}

/** The report as `--format json` prints it. */
export function checkReportJson(report: CheckReport): CheckReportJson {
  return {
    results: report.results.map((r) => ({
      'resource-type': r.resourceType,
      'resource-id': r.resourceId,
      kind: r.kind,
      ...(r.title ? { title: r.title } : {}),
      property: r.property,
      result: r.status,
      successful: r.status !== 'fail',
      skipped: r.status === 'skip',
      expected: r.expected,
      found: r.found,
      'summary-line': resultLine(r),
      duration: r.durationMs,
      ...(r.meta !== undefined ? { meta: r.meta } : {}),
    })),
    summary: {
      'test-count': report.summary.count,
      'failed-count': report.summary.failed,
      'skipped-count': report.summary.skipped,
      'total-duration': report.summary.durationMs,
      'summary-line': summaryLine(report),
    },
  };
}
