import type { ColourStyle } from '@mantle/core/log';
import { formatSeconds } from '../registry/duration.js';
import type { TestResult, TestTiming } from '../harness/test-node.js';

/** `=== RUN   name`, printed when a test or subtest starts (Go's format, three spaces). */
export function formatRunLine(name: string): string {
  return `=== RUN   ${name}`;
}

/**
 * The result block of a finished top-level test, as Go prints it: `--- PASS: name (1.23s)`, the
 * test's output indented one level below, then each subtest's block indented 4 spaces per level.
 */
export function formatResultLines(r: TestResult, depth = 0): string[] {
  const indent = '    '.repeat(depth);
  const note = r.flake ? ' # flaky' : '';
  const lines = [`${indent}--- ${r.result}: ${r.name} (${formatSeconds(r.durationMs)})${note}`];
  if (r.output.length > 0) for (const l of r.output.split('\n')) lines.push(`${indent}    ${l}`);
  if (r.timing) lines.push(`${indent}    ${formatTiming(r.timing)}`);
  for (const s of r.subtests) lines.push(...formatResultLines(s, depth + 1));
  return lines;
}

/** The timing line of a test's block: where its time went (report.json has it as `timing`). */
function formatTiming(t: TestTiming): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
  let boot = s(t.bootMs);
  if (t.restored)
    boot +=
      (t.snapshotMs ?? 0) >= 50
        ? ` (restored from a snapshot; ${s(t.snapshotMs ?? 0)} of it waiting for the snapshot)`
        : ' (restored from a snapshot)';
  return (
    `timing: boot ${boot}, ssh ${s(t.sshMs)}, kolet ${s(t.koletMs)}, ` +
    `body ${s(t.bodyMs)}, teardown ${s(t.teardownMs)}`
  );
}

/** The last line of a run: `PASS, output in DIR` or `FAIL, output in DIR`. */
export function formatFinalLine(result: 'PASS' | 'FAIL', outputDir: string): string {
  return `${result}, output in ${outputDir}`;
}

const RESULT_STYLE: Record<string, ColourStyle> = { PASS: 'green', FAIL: 'red', SKIP: 'yellow' };

/** A console line with its result word (`--- PASS:`, the final `FAIL,`) painted; others as they are. */
export function paintResultLine(line: string, paint: (style: ColourStyle, text: string) => string): string {
  const m = /^(\s*--- |)(PASS|FAIL|SKIP)([:,])/.exec(line);
  if (!m || (m[1] === '' && m[3] !== ',')) return line;
  const [whole, lead = '', word = '', sep = ''] = m;
  return `${lead}${paint(RESULT_STYLE[word] ?? 'red', word)}${sep}${line.slice(whole.length)}`;
}
