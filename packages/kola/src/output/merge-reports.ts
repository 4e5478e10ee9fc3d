import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '@mantle/core/errors';
import type { TestResult } from '../harness/test-node.js';
import { writeFileAtomic } from '@mantle/core/fs';
import { formatJUnit } from './junit.js';
import type { MantleReport, ReportTest } from './report-json.js';
import { formatTap } from './tap.js';

/** What `kola merge-reports` did. */
export interface MergeResult extends MantleReport {
  outDir: string;
  /** the report.json files merged, in the order given */
  inputs: string[];
}

/** `DIR/reports/report.json` (a kola output dir) or `DIR/report.json` (a reports dir or artifact). */
async function reportOf(dir: string): Promise<string> {
  for (const p of [join(dir, 'reports', 'report.json'), join(dir, 'report.json')])
    if (
      await stat(p).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return p;
  throw new InputError({
    code: 'KOLA_NO_REPORT',
    message: `${dir}: no reports/report.json (nor report.json) in it`,
    hint: "pass the --output-dir of each shard's kola run (or the downloaded artifact holding its reports)",
    details: { dir },
  });
}

async function readReport(path: string): Promise<MantleReport> {
  const bad = (why: string): InputError =>
    new InputError({
      code: 'KOLA_BAD_REPORT',
      message: `${path}: ${why}`,
      hint: 'pass output directories written by kola run',
      details: { file: path },
    });
  let data: Partial<MantleReport>;
  try {
    data = JSON.parse(await readFile(path, 'utf8')) as Partial<MantleReport>;
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(data.tests) || typeof data.platform !== 'string')
    throw bad('not a kola report.json (no "tests" array or "platform")');
  data.tests.forEach((t, i) => {
    if (typeof t?.name !== 'string' || !['PASS', 'FAIL', 'SKIP'].includes(t.result))
      throw bad(`tests[${i}] needs a "name" and a "result" of PASS, FAIL or SKIP`);
  });
  return {
    tests: data.tests,
    result: data.result === 'FAIL' ? 'FAIL' : 'PASS',
    platform: data.platform,
    version: typeof data.version === 'string' ? data.version : '',
  };
}

/** report.json's flat list (subtests as `parent/child`) back into result trees. */
function reportToResults(tests: readonly ReportTest[]): TestResult[] {
  const roots: TestResult[] = [];
  const byName = new Map<string, TestResult>();
  for (const t of tests) {
    const r: TestResult = {
      name: t.name,
      result: t.result,
      durationMs: (t.duration ?? 0) / 1e6,
      output: t.output ?? '',
      subtests: [],
      ...(t.skipReason !== undefined ? { skipReason: t.skipReason } : {}),
      ...(t.flake ? { flake: true } : {}),
      ...(t.attempts ? { attempts: t.attempts } : {}),
      ...(t.interrupted ? { interrupted: true } : {}),
      ...(t.notRun ? { notRun: true } : {}),
      ...(t.timedOut ? { timedOut: true } : {}),
    };
    byName.set(t.name, r);
    const cut = t.name.lastIndexOf('/');
    const parent = cut > 0 ? byName.get(t.name.slice(0, cut)) : undefined;
    if (parent) parent.subtests.push(r);
    else roots.push(r);
  }
  return roots;
}

/**
 * `kola merge-reports DIR... --out DIR`: the shards' report.json files as one run — one
 * report.json, junit.xml and test.tap with every test once, sorted by name as an unsharded run
 * lists them. A test in two shards, shards of different platforms or image versions are exit 2:
 * merging them would hide that the shards did not run the same thing.
 */
export async function mergeReports(o: { dirs: string[]; out: string; cwd: string }): Promise<MergeResult> {
  if (o.dirs.length === 0)
    throw new InputError({
      code: 'KOLA_NO_REPORT',
      message: 'kola merge-reports needs at least one shard output directory',
      hint: 'kola merge-reports shard-1 shard-2 shard-3 --out merged',
    });
  const inputs: string[] = [];
  const reports: MantleReport[] = [];
  for (const d of o.dirs) {
    const p = await reportOf(resolve(o.cwd, d));
    inputs.push(p);
    reports.push(await readReport(p));
  }
  const first = reports[0] as MantleReport;
  const seen = new Map<string, string>();
  const tests: ReportTest[] = [];
  reports.forEach((r, i) => {
    const from = inputs[i] ?? '';
    if (r.platform !== first.platform)
      throw new InputError({
        code: 'KOLA_REPORTS_DIFFER',
        message: `${from} is of platform ${r.platform}, ${inputs[0] ?? ''} of ${first.platform}`,
        hint: 'merge the shards of one run (same platform and image) only',
      });
    for (const t of r.tests) {
      const other = seen.get(t.name);
      if (other !== undefined)
        throw new InputError({
          code: 'KOLA_REPORTS_OVERLAP',
          message: `test ${t.name} is in both ${other} and ${from}`,
          hint: 'shards of one run never share a test: were the same --shard or different selections given twice?',
          details: { test: t.name, files: [other, from] },
        });
      seen.set(t.name, from);
      tests.push(t);
    }
  });
  const versions = [...new Set(reports.map((r) => r.version).filter(Boolean))];
  if (versions.length > 1)
    throw new InputError({
      code: 'KOLA_REPORTS_DIFFER',
      message: `the shards tested different image versions: ${versions.join(', ')}`,
      hint: 'merge the shards of one run (same image) only',
    });
  // Top-level tests in name order, each followed by its subtests in their original order.
  const top = (n: string): string => n.split('/')[0] ?? n;
  const order = new Map(tests.map((t, i) => [t.name, i]));
  tests.sort((a, b) =>
    top(a.name) !== top(b.name)
      ? top(a.name) < top(b.name)
        ? -1
        : 1
      : (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0),
  );
  const merged: MantleReport = {
    tests,
    result:
      reports.some((r) => r.result === 'FAIL') || tests.some((t) => t.result === 'FAIL') ? 'FAIL' : 'PASS',
    platform: first.platform,
    version: versions[0] ?? '',
  };
  const outDir = resolve(o.cwd, o.out);
  const results = reportToResults(tests);
  const startedAt = await earliestStart(inputs);
  await mkdir(join(outDir, 'reports'), { recursive: true });
  await writeFileAtomic(join(outDir, 'reports', 'report.json'), JSON.stringify(merged, null, 2) + '\n');
  await writeFileAtomic(
    join(outDir, 'reports', 'junit.xml'),
    formatJUnit(results, { platform: merged.platform, version: merged.version, startedAt }),
  );
  await writeFileAtomic(join(outDir, 'test.tap'), formatTap(results));
  return { ...merged, outDir, inputs };
}

// The merged run started when its first shard did (properties.json beside each report).
async function earliestStart(reports: readonly string[]): Promise<Date> {
  let min: number | undefined;
  for (const r of reports) {
    for (const p of [join(r, '..', '..', 'properties.json'), join(r, '..', 'properties.json')]) {
      const t = await readFile(p, 'utf8')
        .then((s) => Date.parse((JSON.parse(s) as { startedAt?: string }).startedAt ?? ''))
        .catch(() => NaN);
      if (Number.isFinite(t)) {
        min = min === undefined ? t : Math.min(min, t);
        break;
      }
    }
  }
  return min === undefined ? new Date() : new Date(min);
}
