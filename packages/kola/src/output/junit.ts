import type { TestResult } from '../harness/test-node.js';
import { flattenResults } from './flatten.js';

// Characters XML 1.0 forbids anywhere (console output is full of ESC and other controls).
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/** Remove characters XML 1.0 cannot carry (including lone surrogates). */
export function xmlSafe(text: string): string {
  return text.replace(INVALID_XML, '');
}

/** Escape text for an attribute value (quotes and newlines included). */
export function xmlAttr(text: string): string {
  return xmlSafe(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

/** Wrap text in CDATA, splitting any `]]>` it holds so the section cannot end early. */
export function cdata(text: string): string {
  return `<![CDATA[${xmlSafe(text).replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

const secs = (ms: number): string => (ms / 1000).toFixed(3);

export interface JUnitMeta {
  platform: string;
  version?: string | undefined;
  startedAt: Date;
}

/**
 * reports/junit.xml: one testsuite (`kola`) with a testcase per test and subtest; classname is
 * the top-level test's name so CI groups subtests under it; failures carry the output as CDATA.
 */
export function formatJUnit(results: readonly TestResult[], meta: JUnitMeta): string {
  const all = flattenResults(results);
  const failures = all.filter((r) => r.result === 'FAIL').length;
  const skipped = all.filter((r) => r.result === 'SKIP').length;
  const total = results.reduce((s, r) => s + r.durationMs, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kola" tests="${all.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${secs(total)}">`,
    `  <testsuite name="kola" tests="${all.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${secs(total)}" timestamp="${meta.startedAt.toISOString().replace(/\.\d+Z$/, '')}">`,
    '    <properties>',
    `      <property name="platform" value="${xmlAttr(meta.platform)}"/>`,
    `      <property name="version" value="${xmlAttr(meta.version ?? '')}"/>`,
    '    </properties>',
  ];
  for (const r of all) {
    const classname = r.name.split('/')[0] ?? r.name;
    const head = `    <testcase classname="${xmlAttr(classname)}" name="${xmlAttr(r.name)}" time="${secs(r.durationMs)}"`;
    if (r.result === 'PASS' && r.output.length === 0) {
      lines.push(`${head}/>`);
      continue;
    }
    lines.push(`${head}>`);
    if (r.result === 'FAIL') {
      const first = r.output.split('\n').find((l) => l.trim().length > 0) ?? 'failed';
      lines.push(
        `      <failure message="${xmlAttr(first.trim().slice(0, 300))}" type="FAIL">${cdata(r.output)}</failure>`,
      );
    } else if (r.result === 'SKIP') {
      lines.push(`      <skipped message="${xmlAttr(r.skipReason ?? '')}"/>`);
    }
    if (r.output.length > 0 && r.result !== 'FAIL')
      lines.push(`      <system-out>${cdata(r.output)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n') + '\n';
}
