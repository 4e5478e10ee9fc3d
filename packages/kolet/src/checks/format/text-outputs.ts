// goss's outputs for people and for tools reading lines: documentation, rspecish, tap,
// nagios and silent. Each returns its text and goss's exit code for it.
import type { CheckReport } from '../types.js';
import {
  counts,
  failedOrSkippedSummary,
  humanizeResult,
  resultGroups,
  resultHeader,
  runSeconds,
  summaryText,
  type OutputConfig,
} from './humanize.js';

export interface Output {
  text: string;
  /** goss's exit code for this output: 0 passed, 1 failed (nagios: 2 critical) */
  exitCode: number;
}

const has = (c: OutputConfig, o: string): boolean => c.options.includes(o);

/** Every result (with titles and meta), a blank line, failures and skips again, the summary. */
export function documentation(report: CheckReport, c: OutputConfig): Output {
  const includeRaw = !has(c, 'exclude_raw');
  const groups = resultGroups(report, has(c, 'sort'));
  let text = '';
  for (const g of groups) {
    text += resultHeader(g[0] as (typeof g)[0]);
    for (const r of g) text += `${humanizeResult(r, false, includeRaw, c.palette)}\n`;
  }
  text += '\n\n';
  text += failedOrSkippedSummary(groups, includeRaw, c.palette);
  text += summaryText(report.results, c.palette);
  return { text, exitCode: counts(report.results).failed > 0 ? 1 : 0 };
}

/** goss's default: a dot per pass, S per skip, F per failure, then failures and the summary. */
export function rspecish(report: CheckReport, c: OutputConfig): Output {
  const groups = resultGroups(report, has(c, 'sort'));
  let text = '';
  for (const g of groups)
    for (const r of g)
      text +=
        r.status === 'pass'
          ? c.palette.green('.')
          : r.status === 'skip'
            ? c.palette.yellow('S')
            : c.palette.red('F');
  text += '\n\n';
  text += failedOrSkippedSummary(groups, !has(c, 'exclude_raw'), c.palette);
  text += summaryText(report.results, c.palette);
  return { text, exitCode: counts(report.results).failed > 0 ? 1 : 0 };
}

/** TAP: `1..N`, then `ok N - ...`, `not ok N - ...` or `ok N - # SKIP ...`, one line each. */
export function tap(report: CheckReport, c: OutputConfig): Output {
  const includeRaw = !has(c, 'exclude_raw');
  const all = resultGroups(report, has(c, 'sort')).flat();
  const lines = [`1..${all.length}`];
  all.forEach((r, i) => {
    const line = humanizeResult(r, true, includeRaw, c.palette);
    if (r.status === 'pass') lines.push(`ok ${i + 1} - ${line}`);
    else if (r.status === 'fail') lines.push(`not ok ${i + 1} - ${line}`);
    else lines.push(`ok ${i + 1} - # SKIP ${line}`);
  });
  return { text: `${lines.join('\n')}\n`, exitCode: counts(all).failed > 0 ? 1 : 0 };
}

/** Nagios/Sensu: `GOSS OK|CRITICAL - Count: ...`, perfdata and the failures with the options; exit 2 when critical. */
export function nagios(report: CheckReport, c: OutputConfig): Output {
  const { count, failed, skipped } = counts(report.results);
  const secs = runSeconds(report.results).toFixed(3);
  const perf = has(c, 'perfdata')
    ? `|total=${count} failed=${failed} skipped=${skipped} duration=${secs}s`
    : '';
  const includeRaw = !has(c, 'exclude_raw');
  if (failed > 0) {
    let text = `GOSS CRITICAL - Count: ${count}, Failed: ${failed}, Skipped: ${skipped}, Duration: ${secs}s${perf}\n`;
    if (has(c, 'verbose')) {
      let n = 0;
      for (const r of report.results)
        if (r.status === 'fail') text += `Fail ${++n} - ${humanizeResult(r, true, includeRaw, c.palette)}\n`;
    }
    return { text, exitCode: 2 };
  }
  return {
    text: `GOSS OK - Count: ${count}, Failed: ${failed}, Skipped: ${skipped}, Duration: ${secs}s${perf}\n`,
    exitCode: 0,
  };
}

/** Nothing at all (e.g. a health endpoint that must not show the system); only the exit code. */
export function silent(report: CheckReport): Output {
  return { text: '', exitCode: counts(report.results).failed > 0 ? 1 : 0 };
}
