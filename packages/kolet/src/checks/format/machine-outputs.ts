// goss's outputs for programs: json (results as goss's TestResult fields), structured,
// junit and prometheus. Durations are nanoseconds in JSON, as Go's time.Duration marshals.
import { goJson } from '../go/go-format.js';
import type { MatcherResult, Transformer } from '../matchers/matcher.js';
import { KIND_TITLES, type CheckKind, type CheckReport, type CheckResult } from '../types.js';
import { NO_COLOR, counts, humanizeResult, resultGroups, runSeconds, type OutputConfig } from './humanize.js';
import type { Output } from './text-outputs.js';

const RESULT_CODE = { pass: 0, fail: 1, skip: 2 } as const;

/** One result of `--format json`: goss's TestResult plus its summary lines. */
export interface CheckResultJson {
  successful: boolean;
  skipped: boolean;
  'resource-id': string;
  'resource-type': string;
  property: string;
  title: string;
  meta: unknown;
  /** 0 pass, 1 fail, 2 skip */
  result: 0 | 1 | 2;
  err: string | null;
  'matcher-result': {
    actual: unknown;
    message: string;
    expected: unknown;
    'missing-elements': unknown;
    'found-elements': unknown;
    'extra-elements': unknown;
    'transform-chain': unknown;
    'untransformed-value': unknown;
  };
  'start-time': string;
  'end-time': string;
  /** nanoseconds */
  duration: number;
  'summary-line': string;
  'summary-line-compact': string;
}

/** The JSON shape of `--format json` (goss's). */
export interface CheckReportJson {
  results: CheckResultJson[];
  summary: {
    'test-count': number;
    'failed-count': number;
    'skipped-count': number;
    /** nanoseconds */
    'total-duration': number;
    'summary-line': string;
  };
}

function matcherJson(m: MatcherResult, structs?: WeakSet<object>): CheckResultJson['matcher-result'] {
  const o = {
    actual: m.actual ?? null,
    message: m.message,
    expected: m.expected ?? null,
    'missing-elements': m.missingElements ?? null,
    'found-elements': m.foundElements ?? null,
    'extra-elements': m.extraElements ?? null,
    'transform-chain': m.transformChain && m.transformChain.length > 0 ? m.transformChain : null,
    'untransformed-value': m.untransformedValue ?? null,
  };
  structs?.add(o);
  return o;
}

/** A result as goss's JSON has it. */
export function resultJson(r: CheckResult, includeRaw = true, structs?: WeakSet<object>): CheckResultJson {
  const o: CheckResultJson = {
    successful: r.status !== 'fail',
    skipped: r.status === 'skip',
    'resource-id': r.resourceId,
    'resource-type': r.resourceType,
    property: r.property,
    title: r.title,
    meta: r.meta ?? null,
    result: RESULT_CODE[r.status],
    err: r.err ?? null,
    'matcher-result': matcherJson(r.matcherResult, structs),
    'start-time': new Date(r.startTime).toISOString(),
    'end-time': new Date(r.endTime).toISOString(),
    duration: Math.round(r.durationNs),
    'summary-line': humanizeResult(r, false, includeRaw, NO_COLOR),
    'summary-line-compact': humanizeResult(r, true, includeRaw, NO_COLOR),
  };
  structs?.add(o);
  return o;
}

/** The report as `--format json` holds it. */
export function checkReportJson(report: CheckReport, options: readonly string[] = []): CheckReportJson {
  const includeRaw = !options.includes('exclude_raw');
  const results = resultGroups(report, options.includes('sort')).flat();
  const { count, failed, skipped } = counts(results);
  const secs = runSeconds(results);
  return {
    results: results.map((r) => resultJson(r, includeRaw)),
    summary: {
      'test-count': count,
      'failed-count': failed,
      'skipped-count': skipped,
      'total-duration': Math.round(secs * 1e9),
      'summary-line': `Count: ${count}, Failed: ${failed}, Skipped: ${skipped}, Duration: ${secs.toFixed(3)}s`,
    },
  };
}

/** goss's json output: one line, or indented by four spaces with the pretty option; keys sorted as Go prints maps. */
export function json(report: CheckReport, c: OutputConfig): Output {
  const data = checkReportJson(report, c.options);
  return {
    text: `${goJson(data, c.options.includes('pretty') ? '    ' : undefined)}\n`,
    exitCode: data.summary['failed-count'] > 0 ? 1 : 0,
  };
}

/** goss's structured output: results in TestResult field order, summary without skips; always exit 0. */
export function structured(report: CheckReport, c: OutputConfig): Output {
  const includeRaw = !c.options.includes('exclude_raw');
  const structs = new WeakSet<object>();
  const results = resultGroups(report, c.options.includes('sort')).flat();
  const { count, failed } = counts(results);
  const secs = runSeconds(results);
  const summary = { 'test-count': count, 'failed-count': failed, 'total-duration': Math.round(secs * 1e9) };
  const data = {
    results: results.map((r) => resultJson(r, includeRaw, structs)),
    summary,
    'summary-line': `Count: ${count}, Failed: ${failed}, Duration: ${secs.toFixed(3)}s`,
  };
  structs.add(summary);
  structs.add(data);
  return { text: `${goJson(data, c.options.includes('pretty') ? '  ' : undefined, structs)}\n`, exitCode: 0 };
}

/** encoding/xml's EscapeText. */
function xmlEscape(s: string): string {
  return s.replace(/[&<>"'\t\n\r]/g, (ch) =>
    ch === '&'
      ? '&amp;'
      : ch === '<'
        ? '&lt;'
        : ch === '>'
          ? '&gt;'
          : ch === '"'
            ? '&#34;'
            : ch === "'"
              ? '&#39;'
              : ch === '\t'
                ? '&#x9;'
                : ch === '\n'
                  ? '&#xA;'
                  : '&#xD;',
  );
}

/** RFC 3339 in local time with its offset, as Go's time.Format(time.RFC3339). */
function rfc3339(d: Date): string {
  const off = -d.getTimezoneOffset();
  const pad = (n: number): string => String(Math.abs(n)).padStart(2, '0');
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`;
}

/** JUnit XML: one testsuite "goss", a testcase per result (its title, or type, id and property). */
export function junit(report: CheckReport, c: OutputConfig, now = new Date()): Output {
  const includeRaw = !c.options.includes('exclude_raw');
  const results = resultGroups(report, c.options.includes('sort')).flat();
  const { count, failed, skipped } = counts(results);
  let cases = '';
  for (const r of results) {
    const name = r.title || `${r.resourceType} ${r.resourceId} ${r.property}`;
    const line = xmlEscape(humanizeResult(r, true, includeRaw, NO_COLOR));
    cases += `<testcase name="${xmlEscape(name)}" time="${(r.durationNs / 1e9).toFixed(3)}">\n`;
    if (r.status === 'fail')
      cases += `<system-err>${line}</system-err>\n<failure>${line}</failure>\n</testcase>\n`;
    else cases += `${r.status === 'skip' ? '<skipped/>' : ''}<system-out>${line}</system-out>\n</testcase>\n`;
  }
  const text =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuite name="goss" errors="0" tests="${count}" failures="${failed}" skipped="${skipped}" time="${runSeconds(results).toFixed(3)}" timestamp="${rfc3339(now)}">\n` +
    cases +
    '</testsuite>\n';
  return { text, exitCode: failed > 0 ? 1 : 0 };
}

/** Counters a `kolet serve` keeps across runs, as goss's prometheus registry does. */
export class PrometheusCounters {
  readonly tests = new Map<string, { labels: Record<string, string>; count: number; ms: number }>();
  readonly runs = new Map<string, { count: number; ms: number }>();
}

const PROCESS_COUNTERS = new PrometheusCounters();

/** Count a run into the counters (what goss's prometheus output registers); returns its outcome. */
export function recordPrometheus(
  report: CheckReport,
  verbose: boolean,
  counters: PrometheusCounters,
): string {
  let overall = 'unknown';
  let first = true;
  for (const r of report.results) {
    const outcome = r.status;
    const labels: Record<string, string> = { outcome, type: r.resourceType.toLowerCase() };
    if (verbose) labels.resource_id = r.resourceId;
    const key = JSON.stringify(labels);
    const t = counters.tests.get(key) ?? { labels, count: 0, ms: 0 };
    t.count += 1;
    t.ms += Math.floor(r.durationNs / 1e6);
    counters.tests.set(key, t);
    if (first || canChangeOutcome(overall, outcome)) {
      overall = outcome;
      first = false;
    }
  }
  const run = counters.runs.get(overall) ?? { count: 0, ms: 0 };
  run.count += 1;
  run.ms += Math.round(runSeconds(report.results) * 1000);
  counters.runs.set(overall, run);
  return overall;
}

/** The counters in Prometheus's text format. */
export function prometheusText(counters: PrometheusCounters): string {
  const labelText = (l: Record<string, string>): string =>
    Object.keys(l)
      .sort()
      .map((k) => `${k}="${(l[k] ?? '').replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
      .join(',');
  const tests = [...counters.tests.values()].sort((a, b) =>
    labelText(a.labels) < labelText(b.labels) ? -1 : 1,
  );
  const runs = [...counters.runs.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const lines = [
    '# HELP goss_tests_outcomes_duration_milliseconds The duration of tests from this run. Note; tests run concurrently.',
    '# TYPE goss_tests_outcomes_duration_milliseconds counter',
    ...tests.map((t) => `goss_tests_outcomes_duration_milliseconds{${labelText(t.labels)}} ${t.ms}`),
    '# HELP goss_tests_outcomes_total The number of test-outcomes from this run.',
    '# TYPE goss_tests_outcomes_total counter',
    ...tests.map((t) => `goss_tests_outcomes_total{${labelText(t.labels)}} ${t.count}`),
    '# HELP goss_tests_run_duration_milliseconds The end-to-end duration of this run.',
    '# TYPE goss_tests_run_duration_milliseconds counter',
    ...runs.map(([o, r]) => `goss_tests_run_duration_milliseconds{outcome="${o}"} ${r.ms}`),
    '# HELP goss_tests_run_outcomes_total The outcomes of this run as a whole.',
    '# TYPE goss_tests_run_outcomes_total counter',
    ...runs.map(([o, r]) => `goss_tests_run_outcomes_total{outcome="${o}"} ${r.count}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Prometheus text format: goss_tests_outcomes_total and friends (with resource_id when verbose). */
export function prometheus(
  report: CheckReport,
  c: OutputConfig,
  counters: PrometheusCounters = PROCESS_COUNTERS,
): Output {
  const overall = recordPrometheus(report, c.options.includes('verbose'), counters);
  return { text: prometheusText(counters), exitCode: overall === 'fail' ? 1 : 0 };
}

function canChangeOutcome(current: string, result: string): boolean {
  switch (current) {
    case 'skip':
      return true;
    case 'fail':
      return false;
    case 'pass':
      return result !== 'skip';
    default:
      return result === 'fail';
  }
}

const STATUS_OF = { 0: 'pass', 1: 'fail', 2: 'skip' } as const;

/** Rebuild a report from its `--format json` form (kola prints the machine's report in another format). */
export function checkReportFromJson(json: CheckReportJson, file: string): CheckReport {
  const kinds = new Map(Object.entries(KIND_TITLES).map(([k, t]) => [t, k as CheckKind]));
  let group = -1;
  let lastKey = '';
  const results = json.results.map((r): CheckResult => {
    const key = `${r['resource-type']}\0${r['resource-id']}`;
    if (key !== lastKey) {
      group++;
      lastKey = key;
    }
    const m = r['matcher-result'];
    const chain = Array.isArray(m['transform-chain']) ? (m['transform-chain'] as Transformer[]) : undefined;
    return {
      kind: kinds.get(r['resource-type']) ?? 'command',
      resourceType: r['resource-type'],
      resourceId: r['resource-id'],
      title: r.title,
      meta: r.meta,
      property: r.property,
      status: STATUS_OF[r.result],
      ...(r.err !== null ? { err: r.err } : {}),
      matcherResult: {
        actual: m.actual,
        message: m.message,
        expected: m.expected,
        ...(m['missing-elements'] !== null ? { missingElements: m['missing-elements'] } : {}),
        ...(m['found-elements'] !== null ? { foundElements: m['found-elements'] } : {}),
        ...(m['extra-elements'] !== null ? { extraElements: m['extra-elements'] } : {}),
        ...(chain ? { transformChain: chain, untransformedValue: m['untransformed-value'] } : {}),
      },
      startTime: Date.parse(r['start-time']),
      endTime: Date.parse(r['end-time']),
      durationNs: r.duration,
      group,
    };
  });
  return {
    file,
    results,
    summary: {
      count: json.summary['test-count'],
      failed: json.summary['failed-count'],
      skipped: json.summary['skipped-count'],
      durationMs: Math.round(json.summary['total-duration'] / 1e6),
    },
  };
}
