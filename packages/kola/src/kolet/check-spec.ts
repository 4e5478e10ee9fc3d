import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError, errorMessage } from '@mantle/core/errors';
import {
  checkReportFromJson as koletReportFromJson,
  parseCheckSpec,
  type CheckReport,
  type CheckReportJson,
} from '@mantle/kolet';
import { stringify } from 'yaml';
import type { MachineCheckResult } from './agent.js';
import type { CheckSpecSource, KolaTest } from '../types.js';

/** A check spec read and validated before any machine boots. */
export interface ResolvedCheckSpec {
  /** the YAML text sent to `kolet check -` */
  text: string;
  /** where it came from, for messages: a path, or `<test> (inline)` */
  file: string;
  /** how many resources it checks */
  resources: number;
}

/**
 * Turn a test's `checks` into YAML text and validate it (InputError, exit 2, with file:line:col).
 * A string with a line break is the YAML itself, a one-line string a file path relative to
 * `baseDir`, an object the spec as data. `owner` names the test in messages.
 */
export async function resolveCheckSpec(
  source: CheckSpecSource,
  opts: { baseDir: string; owner: string },
): Promise<ResolvedCheckSpec> {
  let text: string;
  let file: string;
  if (typeof source === 'object') {
    text = stringify(source);
    file = `${opts.owner} (checks object)`;
  } else if (/[\r\n]/.test(source)) {
    text = source;
    file = `${opts.owner} (inline checks)`;
  } else {
    file = resolve(opts.baseDir, source.trim());
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new InputError({
        code: 'CHECK_SPEC_UNREADABLE',
        message: `${opts.owner}: checks file ${file} cannot be read: ${errorMessage(err)}`,
        hint: 'a one-line `checks` value is a path relative to the test module (or ext test directory); put YAML text on several lines to give it inline',
        details: { test: opts.owner, file },
        cause: err,
      });
    }
  }
  // A templated spec renders on the machine, with the machine's .Env: kolet validates it there.
  const spec = text.includes('{{') ? undefined : parseCheckSpec(text, { file });
  return { text, file, resources: spec?.resources.length ?? 0 };
}

/** Where a test's one-line `checks` path is relative to: its module's directory, or the working directory for built-in tests. */
export function checksBaseDir(test: Pick<KolaTest, 'source'>, cwd = process.cwd()): string {
  return test.source === 'built-in' || !isAbsolute(test.source) ? cwd : dirname(test.source);
}

/** The lines a check run adds to a test's output: the summary, then every check. */
export function formatCheckLines(r: MachineCheckResult, file: string): string[] {
  const s = r.report.summary;
  const lines = [`checks of ${file} on ${r.machine}: ${s['summary-line']}`];
  for (const c of r.report.results) {
    const tag = c.result === 1 ? 'FAIL' : c.result === 2 ? 'skip' : 'ok';
    lines.push(`    ${tag.padEnd(4)}  ${c['summary-line-compact']}`);
  }
  return lines;
}

/** The failed checks of a run, one compact summary line each. */
export function failedChecks(r: MachineCheckResult): string[] {
  return r.report.results.filter((c) => c.result === 1).map((c) => c['summary-line-compact']);
}

/** Rebuild kolet's CheckReport from its JSON form, to print it in another format on the host. */
export function checkReportFromJson(json: CheckReportJson, file: string): CheckReport {
  return koletReportFromJson(json, file);
}
