import type { TestResult } from '../harness/test-node.js';

/** Tests and their subtests in order (parent before children), as report.json and JUnit list them. */
export function flattenResults(results: readonly TestResult[]): TestResult[] {
  const out: TestResult[] = [];
  const walk = (r: TestResult): void => {
    out.push(r);
    r.subtests.forEach(walk);
  };
  results.forEach(walk);
  return out;
}
