import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../types.js';
import { formatCheckReport, summaryLine } from './format-report.js';

const report: CheckReport = {
  file: 'spec.yaml',
  results: [
    {
      kind: 'file',
      resourceType: 'File',
      resourceId: '/etc/passwd',
      title: undefined,
      property: 'exists',
      status: 'pass',
      expected: true,
      found: true,
      message: 'matches expectation: true',
      durationMs: 1,
    },
    {
      kind: 'file',
      resourceType: 'File',
      resourceId: '/etc/passwd',
      title: undefined,
      property: 'mode',
      status: 'fail',
      expected: '0644',
      found: '0600',
      message: 'doesn\'t match, expect: "0644" found: "0600"',
      durationMs: 1,
    },
    {
      kind: 'package',
      resourceType: 'Package',
      resourceId: 'bash',
      title: 'shell',
      property: 'installed',
      status: 'skip',
      expected: true,
      found: null,
      message: 'skipped: no package manager (dpkg-query or rpm) on this machine',
      durationMs: 0,
      meta: { owner: 'os' },
    },
  ],
  summary: { count: 3, failed: 1, skipped: 1, durationMs: 1234 },
};

describe('check report formats', () => {
  it('prints the goss summary line', () => {
    expect(summaryLine(report)).toBe('Count: 3, Failed: 1, Skipped: 1, Duration: 1.234s');
  });

  it('documentation: one line per check, the failures again, the summary', () => {
    expect(formatCheckReport(report, 'documentation')).toBe(
      [
        'File: /etc/passwd: exists: matches expectation: true',
        'File: /etc/passwd: mode: doesn\'t match, expect: "0644" found: "0600"',
        'shell: Package: bash: installed: skipped: no package manager (dpkg-query or rpm) on this machine',
        '',
        'Failures:',
        '  File: /etc/passwd: mode: doesn\'t match, expect: "0644" found: "0600"',
        '',
        'Count: 3, Failed: 1, Skipped: 1, Duration: 1.234s',
        '',
      ].join('\n'),
    );
  });

  it('tap: plan, ok / not ok / # SKIP, summary comment', () => {
    expect(formatCheckReport(report, 'tap')).toBe(
      [
        '1..3',
        'ok 1 - File: /etc/passwd: exists: matches expectation: true',
        'not ok 2 - File: /etc/passwd: mode: doesn\'t match, expect: "0644" found: "0600"',
        'ok 3 - Package: bash: installed # SKIP no package manager (dpkg-query or rpm) on this machine',
        '# Count: 3, Failed: 1, Skipped: 1, Duration: 1.234s',
        '',
      ].join('\n'),
    );
  });

  it('json: goss field names, results and summary', () => {
    const json = JSON.parse(formatCheckReport(report, 'json')) as Record<string, unknown>;
    expect(json).toEqual({
      results: [
        {
          'resource-type': 'File',
          'resource-id': '/etc/passwd',
          kind: 'file',
          property: 'exists',
          result: 'pass',
          successful: true,
          skipped: false,
          expected: true,
          found: true,
          'summary-line': 'File: /etc/passwd: exists: matches expectation: true',
          duration: 1,
        },
        {
          'resource-type': 'File',
          'resource-id': '/etc/passwd',
          kind: 'file',
          property: 'mode',
          result: 'fail',
          successful: false,
          skipped: false,
          expected: '0644',
          found: '0600',
          'summary-line': 'File: /etc/passwd: mode: doesn\'t match, expect: "0644" found: "0600"',
          duration: 1,
        },
        {
          'resource-type': 'Package',
          'resource-id': 'bash',
          kind: 'package',
          title: 'shell',
          property: 'installed',
          result: 'skip',
          successful: true,
          skipped: true,
          expected: true,
          found: null,
          'summary-line':
            'shell: Package: bash: installed: skipped: no package manager (dpkg-query or rpm) on this machine',
          duration: 0,
          meta: { owner: 'os' },
        },
      ],
      summary: {
        'test-count': 3,
        'failed-count': 1,
        'skipped-count': 1,
        'total-duration': 1234,
        'summary-line': 'Count: 3, Failed: 1, Skipped: 1, Duration: 1.234s',
      },
    });
  });

  it('documentation without failures has no Failures section', () => {
    const ok: CheckReport = {
      ...report,
      results: [report.results[0]!],
      summary: { count: 1, failed: 0, skipped: 0, durationMs: 5 },
    };
    expect(formatCheckReport(ok, 'documentation')).toBe(
      'File: /etc/passwd: exists: matches expectation: true\n\nCount: 1, Failed: 0, Skipped: 0, Duration: 0.005s\n',
    );
  });
});
