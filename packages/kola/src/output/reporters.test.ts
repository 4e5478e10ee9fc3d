import { describe, expect, it } from 'vitest';
import type { TestResult } from '../harness/test-node.js';
import { formatFinalLine, formatResultLines, formatRunLine } from './console-reporter.js';
import { formatJUnit, cdata, xmlAttr } from './junit.js';
import { buildReport } from './report-json.js';
import { formatTap } from './tap.js';
import { assertValidJUnit, parseJUnit, type XmlNode } from '../testing/junit-xml.js';

const r = (name: string, result: TestResult['result'], extra: Partial<TestResult> = {}): TestResult => ({
  name,
  result,
  durationMs: 1230,
  output: '',
  subtests: [],
  ...extra,
});

const results: TestResult[] = [
  r('basic.ssh', 'PASS', {
    subtests: [r('basic.ssh/sub', 'PASS', { durationMs: 500, output: 'sub log' })],
  }),
  r('basic.skip', 'SKIP', { durationMs: 0, skipReason: 'needs aws', output: 'needs aws' }),
  r('basic.fail', 'FAIL', { output: 'expected core, got root\nsecond line' }),
  r('basic.flaky', 'PASS', { flake: true, attempts: 2, output: 'first attempt failed' }),
];

describe('console reporter', () => {
  it('prints Go test lines', () => {
    expect(formatRunLine('basic.ssh')).toBe('=== RUN   basic.ssh');
    expect(formatResultLines(results[0] as TestResult)).toEqual([
      '--- PASS: basic.ssh (1.23s)',
      '    --- PASS: basic.ssh/sub (0.50s)',
      '        sub log',
    ]);
    expect(formatResultLines(results[2] as TestResult)).toEqual([
      '--- FAIL: basic.fail (1.23s)',
      '    expected core, got root',
      '    second line',
    ]);
    expect(formatResultLines(results[3] as TestResult)[0]).toBe('--- PASS: basic.flaky (1.23s) # flaky');
    expect(formatFinalLine('PASS', '/out')).toBe('PASS, output in /out');
  });
});

describe('test.tap', () => {
  it('is exact TAP 13 with numbered lines, SKIP, flaky and a YAML block for failures', () => {
    expect(formatTap(results)).toBe(
      [
        'TAP version 13',
        '1..4',
        'ok 1 - basic.ssh',
        'ok 2 - basic.skip # SKIP needs aws',
        'not ok 3 - basic.fail',
        '  ---',
        '  message: |-',
        '    expected core, got root',
        '    second line',
        '  ...',
        'ok 4 - basic.flaky # flaky',
        '',
      ].join('\n'),
    );
  });

  it('falls back to a JSON string for output YAML cannot carry as a block', () => {
    const tap = formatTap([r('x.ctl', 'FAIL', { output: '\u001b[31mred\u001b[0m  ' })]);
    expect(tap).toContain('  message: "\\u001b[31mred\\u001b[0m  "');
    expect(formatTap([r('x.empty', 'FAIL')])).toContain('  message: "failed"');
  });
});

describe('report.json', () => {
  it("has mantle's shape with subtests flattened and durations in nanoseconds", () => {
    const rep = buildReport(results, { result: 'FAIL', platform: 'qemu', version: '3815.2.0' });
    expect(rep).toEqual({
      tests: [
        { name: 'basic.ssh', result: 'PASS', duration: 1_230_000_000, output: '' },
        { name: 'basic.ssh/sub', result: 'PASS', duration: 500_000_000, output: 'sub log' },
        { name: 'basic.skip', result: 'SKIP', duration: 0, output: 'needs aws', skipReason: 'needs aws' },
        {
          name: 'basic.fail',
          result: 'FAIL',
          duration: 1_230_000_000,
          output: 'expected core, got root\nsecond line',
        },
        {
          name: 'basic.flaky',
          result: 'PASS',
          duration: 1_230_000_000,
          output: 'first attempt failed',
          flake: true,
          attempts: 2,
        },
      ],
      result: 'FAIL',
      platform: 'qemu',
      version: '3815.2.0',
    });
    expect(buildReport([], { result: 'PASS', platform: 'qemu' }).version).toBe('');
  });
});

describe('junit.xml', () => {
  const nasty = r('x.nasty', 'FAIL', {
    output: 'a <b> & "c" \'d\'\u001b[0m\u0000 end ]]> after\nline 2',
  });
  const xml = formatJUnit([...results, nasty], {
    platform: 'qemu',
    version: '1.0',
    startedAt: new Date('2025-01-02T03:04:05.678Z'),
  });

  it('is valid against the JUnit schema (xmllint), nasty output included', async () => {
    await assertValidJUnit(xml);
    // and the schema has teeth: a testcase without its required time is refused
    await expect(assertValidJUnit(xml.replace(/(<testcase [^>]*?) time="[^"]*"/, '$1'))).rejects.toThrow(
      /time/,
    );
    await expect(assertValidJUnit(xml.replace('<testsuite ', '<testsuite bogus="1" '))).rejects.toThrow(
      /bogus/,
    );
  });

  it('parses back: counts, testcases, failures with CDATA output, skipped', () => {
    const doc = parseJUnit(xml);
    expect(doc.name).toBe('testsuites');
    expect(doc.attrs).toMatchObject({ name: 'kola', tests: '6', failures: '2', skipped: '1', errors: '0' });
    const suite = doc.children[0] as XmlNode;
    expect(suite.attrs).toMatchObject({
      name: 'kola',
      tests: '6',
      failures: '2',
      skipped: '1',
      timestamp: '2025-01-02T03:04:05',
    });
    const cases = suite.children.filter((c) => c.name === 'testcase');
    expect(cases.map((c) => [c.attrs.classname, c.attrs.name, c.attrs.time])).toEqual([
      ['basic.ssh', 'basic.ssh', '1.230'],
      ['basic.ssh', 'basic.ssh/sub', '0.500'],
      ['basic.skip', 'basic.skip', '0.000'],
      ['basic.fail', 'basic.fail', '1.230'],
      ['basic.flaky', 'basic.flaky', '1.230'],
      ['x.nasty', 'x.nasty', '1.230'],
    ]);
    const fail = cases[3]?.children.find((c) => c.name === 'failure');
    expect(fail?.attrs.message).toBe('expected core, got root');
    expect(fail?.text).toBe('expected core, got root\nsecond line');
    expect(cases[2]?.children[0]).toMatchObject({ name: 'skipped', attrs: { message: 'needs aws' } });
    const nastyFail = cases[5]?.children.find((c) => c.name === 'failure');
    // control characters are dropped, everything else survives the round trip
    expect(nastyFail?.text).toBe('a <b> & "c" \'d\'[0m end ]]> after\nline 2');
    expect(nastyFail?.attrs.message).toBe('a <b> & "c" \'d\'[0m end ]]> after');
  });

  it('escapes attributes and CDATA terminators', () => {
    expect(xmlAttr('a&b<"c">\n')).toBe('a&amp;b&lt;&quot;c&quot;&gt;&#10;');
    expect(cdata('x]]>y')).toBe('<![CDATA[x]]]]><![CDATA[>y]]>');
    expect(xml.includes('\u0000') || xml.includes('\u001b')).toBe(false);
  });
});
