import type { ResultStatus, TestResult } from '../harness/test-node.js';
import { flattenResults } from './flatten.js';

/** One entry of report.json (mantle's shape; kola adds optional markers). */
export interface ReportTest {
  name: string;
  result: ResultStatus;
  /** nanoseconds, as Go's time.Duration marshals */
  duration: number;
  output: string;
  /** failed first and passed on rerun */
  flake?: boolean;
  attempts?: number;
  skipReason?: string;
  interrupted?: boolean;
  notRun?: boolean;
  timedOut?: boolean;
  /**
   * kola's addition (mantle's readers ignore unknown fields): where a top-level test's time
   * went, in nanoseconds like `duration`; `restored` when its machines came from a snapshot
   */
  timing?: {
    boot: number;
    ssh: number;
    kolet: number;
    body: number;
    teardown: number;
    restored?: boolean;
  };
}

/** reports/report.json: `{"tests":[...],"result","platform","version"}`, subtests as `parent/child`. */
export interface MantleReport {
  tests: ReportTest[];
  result: 'PASS' | 'FAIL';
  platform: string;
  /** the image's os-release VERSION_ID ('' when no machine told it) */
  version: string;
}

/** Build report.json from the harness results. */
export function buildReport(
  results: readonly TestResult[],
  meta: { result: 'PASS' | 'FAIL'; platform: string; version?: string | undefined },
): MantleReport {
  const tests = flattenResults(results).map((r) => {
    const t: ReportTest = {
      name: r.name,
      result: r.result,
      duration: Math.round(r.durationMs * 1e6),
      output: r.output,
    };
    if (r.flake) t.flake = true;
    if (r.attempts && r.attempts > 1) t.attempts = r.attempts;
    if (r.skipReason !== undefined) t.skipReason = r.skipReason;
    if (r.interrupted) t.interrupted = true;
    if (r.notRun) t.notRun = true;
    if (r.timedOut) t.timedOut = true;
    if (r.timing) {
      const ns = (ms: number): number => Math.round(ms * 1e6);
      t.timing = {
        boot: ns(r.timing.bootMs),
        ssh: ns(r.timing.sshMs),
        kolet: ns(r.timing.koletMs),
        body: ns(r.timing.bodyMs),
        teardown: ns(r.timing.teardownMs),
      };
      if (r.timing.restored) t.timing.restored = true;
    }
    return t;
  });
  return { tests, result: meta.result, platform: meta.platform, version: meta.version ?? '' };
}
