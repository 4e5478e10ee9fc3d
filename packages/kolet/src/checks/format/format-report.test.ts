import { describe, expect, it } from 'vitest';
import { parseCheckSpec } from '../parse-spec.js';
import { runChecks } from '../run-checks.js';
import type { CheckReport } from '../types.js';
import { CHECK_FORMATS, formatReport, type CheckFormat } from './format-report.js';
import { checkReportFromJson, checkReportJson, type CheckReportJson } from './machine-outputs.js';
import { unifiedDiff } from './unified-diff.js';

// `matching` checks decide from the spec alone, so every output below is the same on any machine.
const SPEC = `
matching:
  greeting:
    title: Greeting
    meta: {sev: 5, team: ops}
    content: hello world
    matches: {have-prefix: hello}
  count:
    content: "128"
    matches: {gt: 200}
  lines:
    content: |
      this is a test1
      this is a test2
    matches: |
      this is a test1
      this is a test9
  groups:
    content: [a, b, c]
    matches: [a, d, e]
  reader:
    as-reader: true
    content: "foo bar\\n"
    matches: [foo, "!bar"]
  off:
    skip: true
    content: 1
    matches: 1
`;

let report: CheckReport;

async function run(): Promise<CheckReport> {
  report ??= await runChecks(parseCheckSpec(SPEC, { file: 'spec.yaml' }));
  return report;
}

/** Output with durations and timestamps replaced, trailing spaces removed (as goss's golden tests do). */
async function out(format: CheckFormat, options: string[] = []): Promise<{ text: string; exitCode: number }> {
  const o = formatReport(await run(), format, { options });
  return {
    text: o.text
      .replace(/\d+\.\d{3}s/g, 'X.XXXs')
      .replace(/time="[\d.]+"/g, 'time="T"')
      .replace(/timestamp="[^"]+"/g, 'timestamp="TS"')
      .replace(/ +\n/g, '\n'),
    exitCode: o.exitCode,
  };
}

describe("goss's output formats", () => {
  it('documentation: every result with titles and meta, then failures and skips again (sorted), then the summary', async () => {
    const { text, exitCode } = await out('documentation');
    expect(exitCode).toBe(1);
    expect(text).toBe(
      [
        'Title: Greeting',
        'Meta:',
        '    sev: 5',
        '    team: ops',
        'Matching: greeting: matches: matches expectation: {"have-prefix":"hello"}',
        'Matching: count: matches:',
        'Expected',
        '    128',
        'to be numerically gt',
        '    200',
        'the transform chain was',
        '    [{"to-numeric":{}}]',
        'the raw value was',
        '    "128"',
        'Matching: lines: matches:',
        'Expected',
        '    "this is a test1\\nthis is a test2\\n"',
        'to equal',
        '    "this is a test1\\nthis is a test9\\n"',
        'diff',
        '    --- test',
        '    +++ actual',
        '    @@ -1,3 +1,3 @@',
        '     this is a test1',
        '    -this is a test9',
        '    +this is a test2',
        '',
        'Matching: groups: matches:',
        'Expected',
        '    ["a","b","c"]',
        'to contain elements matching',
        '    ["a","d","e"]',
        'the missing elements were',
        '    ["d","e"]',
        'Matching: reader: matches:',
        'Expected',
        '    "foo bar\\n"',
        'to have patterns',
        '    ["foo","!bar"]',
        'the missing elements were',
        '    ["!bar"]',
        'Matching: off: matches: skipped',
        '',
        '',
        'Failures/Skipped:',
        '',
        'Matching: count: matches:',
        'Expected',
        '    128',
        'to be numerically gt',
        '    200',
        'the transform chain was',
        '    [{"to-numeric":{}}]',
        'the raw value was',
        '    "128"',
        '',
        'Matching: groups: matches:',
        'Expected',
        '    ["a","b","c"]',
        'to contain elements matching',
        '    ["a","d","e"]',
        'the missing elements were',
        '    ["d","e"]',
        '',
      ].join('\n') +
        '\n' +
        text.slice(text.indexOf('Matching: lines: matches:\n', text.indexOf('Failures/Skipped'))),
    );
    expect(text.endsWith('Total Duration: X.XXXs\nCount: 6, Failed: 4, Skipped: 1\n')).toBe(true);
  });

  it('rspecish: a character per result, then failures and the summary', async () => {
    const { text, exitCode } = await out('rspecish');
    expect(exitCode).toBe(1);
    expect(text.startsWith('.FFFFS\n\nFailures/Skipped:\n\n')).toBe(true);
    expect(text).toContain('Matching: off: matches: skipped\n\nMatching: reader: matches:\n');
    expect(text.endsWith('\nTotal Duration: X.XXXs\nCount: 6, Failed: 4, Skipped: 1\n')).toBe(true);
  });

  it('tap: one line per result, failures compact', async () => {
    const { text } = await out('tap');
    expect(text.split('\n').slice(0, 4)).toEqual([
      '1..6',
      'ok 1 - Matching: greeting: matches: matches expectation: {"have-prefix":"hello"}',
      'not ok 2 - Matching: count: matches: Expected 128 to be numerically gt 200 the transform chain was [{"to-numeric":{}}] the raw value was "128"',
      'not ok 3 - Matching: lines: matches: Expected "this is a test1\\nthis is a test2\\n" to equal "this is a test1\\nthis is a test9\\n"',
    ]);
    expect(text).toContain('ok 6 - # SKIP Matching: off: matches: skipped\n');
  });

  it('nagios: CRITICAL with exit 2, perfdata and the failures with verbose', async () => {
    const { text, exitCode } = await out('nagios', ['perfdata', 'verbose']);
    expect(exitCode).toBe(2);
    expect(text.split('\n')[0]).toBe(
      'GOSS CRITICAL - Count: 6, Failed: 4, Skipped: 1, Duration: X.XXXs|total=6 failed=4 skipped=1 duration=X.XXXs',
    );
    expect(text.split('\n')[1]).toMatch(/^Fail 1 - Matching: count: matches: Expected 128/);
  });

  it('json: goss TestResult fields (result 0/1/2, matcher-result, nanoseconds), keys sorted as Go prints maps', async () => {
    const { text, exitCode } = await out('json');
    expect(exitCode).toBe(1);
    const data = JSON.parse(text) as CheckReportJson;
    expect(Object.keys(data)).toEqual(['results', 'summary']);
    expect(Object.keys(data.results[0] ?? {})).toEqual([
      'duration',
      'end-time',
      'err',
      'matcher-result',
      'meta',
      'property',
      'resource-id',
      'resource-type',
      'result',
      'skipped',
      'start-time',
      'successful',
      'summary-line',
      'summary-line-compact',
      'title',
    ]);
    expect(data.results.map((r) => [r['resource-id'], r.result, r.successful, r.skipped])).toEqual([
      ['greeting', 0, true, false],
      ['count', 1, false, false],
      ['lines', 1, false, false],
      ['groups', 1, false, false],
      ['reader', 1, false, false],
      ['off', 2, true, true],
    ]);
    expect(data.results[0]).toMatchObject({ title: 'Greeting', meta: { sev: 5, team: 'ops' } });
    expect(data.results[1]?.['matcher-result']).toEqual({
      actual: 128,
      expected: 200,
      'extra-elements': null,
      'found-elements': null,
      message: 'to be numerically gt',
      'missing-elements': null,
      'transform-chain': [{ 'to-numeric': {} }],
      'untransformed-value': '128',
    });
    expect(data.summary).toMatchObject({ 'test-count': 6, 'failed-count': 4, 'skipped-count': 1 });
    expect(data.summary['summary-line']).toBe('Count: 6, Failed: 4, Skipped: 1, Duration: X.XXXs');
    expect((await out('json', ['pretty'])).text.split('\n')[1]).toBe('    "results": [');
  });

  it('a JSON report read back formats as the original (kola prints the machine report in any format)', async () => {
    const back = checkReportFromJson(checkReportJson(await run()), 'spec.yaml');
    for (const f of ['documentation', 'tap', 'rspecish'] as const)
      expect(formatReport(back, f).text.replace(/\d+\.\d{3}s/g, '')).toBe(
        formatReport(await run(), f).text.replace(/\d+\.\d{3}s/g, ''),
      );
  });

  it('junit: a testsuite of testcases (the title names one), failures and skips marked', async () => {
    const { text, exitCode } = await out('junit');
    expect(exitCode).toBe(1);
    const lines = text.split('\n');
    expect(lines[0]).toBe('<?xml version="1.0" encoding="UTF-8"?>');
    expect(lines[1]).toBe(
      '<testsuite name="goss" errors="0" tests="6" failures="4" skipped="1" time="T" timestamp="TS">',
    );
    expect(lines[2]).toBe('<testcase name="Greeting" time="T">');
    expect(text).toContain(
      '<testcase name="Matching count matches" time="T">\n<system-err>Matching: count: matches: Expected 128 to be numerically gt 200',
    );
    expect(text).toContain('<skipped/><system-out>Matching: off: matches: skipped</system-out>');
    expect(text).toContain('&#34;');
    expect(text.endsWith('</testsuite>\n')).toBe(true);
  });

  it('structured: struct field order, summary without skips, exit 0', async () => {
    const { text, exitCode } = await out('structured');
    expect(exitCode).toBe(0);
    const data = JSON.parse(text) as {
      results: Record<string, unknown>[];
      summary: Record<string, unknown>;
      'summary-line': string;
    };
    expect(Object.keys(data.results[0] ?? {}).slice(0, 5)).toEqual([
      'successful',
      'skipped',
      'resource-id',
      'resource-type',
      'property',
    ]);
    expect(Object.keys(data.summary)).toEqual(['test-count', 'failed-count', 'total-duration']);
    expect(data['summary-line']).toMatch(/^Count: 6, Failed: 4, Duration: /);
  });

  it('prometheus: counters by type and outcome; silent: nothing but the exit code', async () => {
    const p = await out('prometheus');
    expect(p.exitCode).toBe(1);
    expect(p.text).toContain('goss_tests_outcomes_total{outcome="fail",type="matching"} 4\n');
    expect(p.text).toContain('goss_tests_run_outcomes_total{outcome="fail"} 1\n');
    expect(await out('silent')).toEqual({ text: '', exitCode: 1 });
  });

  it('has every format goss has, and sorts by resource with the sort option', async () => {
    expect([...CHECK_FORMATS].sort()).toEqual([
      'documentation',
      'json',
      'junit',
      'nagios',
      'prometheus',
      'rspecish',
      'silent',
      'structured',
      'tap',
    ]);
    const tap = (await out('tap', ['sort'])).text.split('\n');
    expect(tap[1]).toMatch(/^not ok 1 - Matching: count/);
  });

  it('diffs two texts as go-difflib does (context 1, the last line given a newline)', () => {
    expect(unifiedDiff('a\nb\nc\nd\ne\n', 'a\nB\nc\nd\ne\n')).toBe(
      '--- test\n+++ actual\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n',
    );
    expect(unifiedDiff('x', 'y')).toBe('--- test\n+++ actual\n@@ -1 +1 @@\n-x\n+y\n');
  });
});
