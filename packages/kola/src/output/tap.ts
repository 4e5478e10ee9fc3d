import type { TestResult } from '../harness/test-node.js';

// Control characters other than tab make YAML (and most TAP consumers) choke.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

/** A YAML scalar for the message: a literal block when it is plain text, else a JSON string. */
function yamlMessage(text: string): string {
  const lines = text.split('\n');
  const plain =
    !CONTROL.test(text) && lines.every((l) => !/\s$/.test(l)) && !/^\s/.test(text) && text.length > 0;
  if (!plain) return `  message: ${JSON.stringify(text.length > 0 ? text : 'failed')}`;
  return ['  message: |-', ...lines.map((l) => (l.length > 0 ? `    ${l}` : ''))].join('\n');
}

/**
 * test.tap (TAP 13): the plan, one line per top-level test (`ok N - name`, `ok N - name # SKIP
 * reason`, `not ok N - name` with a YAML block holding the output), a `# flaky` note on tests
 * that passed only when rerun.
 */
export function formatTap(results: readonly TestResult[]): string {
  const out = ['TAP version 13', `1..${results.length}`];
  results.forEach((r, i) => {
    const n = i + 1;
    const name = r.name.replace(/#/g, '\\#');
    if (r.result === 'SKIP') {
      const reason = (r.skipReason ?? '').split('\n')[0]?.replace(/#/g, '\\#') ?? '';
      out.push(`ok ${n} - ${name} # SKIP${reason ? ` ${reason}` : ''}`);
    } else if (r.result === 'PASS') {
      out.push(`ok ${n} - ${name}${r.flake ? ' # flaky' : ''}`);
    } else {
      out.push(`not ok ${n} - ${name}`, '  ---', yamlMessage(r.output), '  ...');
    }
  });
  return out.join('\n') + '\n';
}
