import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';

/** One test that may be skipped, and why (scripts/allowed-skips.json). */
export interface AllowedSkip {
  /** the test file, relative to the repository root */
  file: string;
  /** the test's full name: its describe blocks and its title joined by ' > ' */
  test: string;
  reason: string;
}

export interface SummaryReporterOptions {
  /** the allow-list file, relative to the vitest root; default scripts/allowed-skips.json */
  allowList?: string;
}

interface Flaky {
  file: string;
  test: string;
  /** the first attempt's error, as vitest kept it */
  error: string;
}

interface Skipped {
  file: string;
  test: string;
  note: string | undefined;
}

/**
 * Prints one plain closing line, `Tests: N passed, N failed, N skipped`, that any CI log reader
 * understands, after vitest's own summary, and is the skip guard: CI runs as root with every tool
 * installed, so a skipped test is a test that quietly did not run. Integration tests that passed
 * only on their retry are listed with their first error, so a flake is seen, not hidden. Every skipped test that is not on
 * the allow-list (file, full name and a reason) fails the run (exit 1) and is named. A run filtered
 * by test name (`-t`) skips by design and is not guarded.
 */
class SummaryReporter implements Reporter {
  private root = process.cwd();
  private filteredByName = false;
  private readonly allowListPath: string;

  constructor(options: SummaryReporterOptions = {}) {
    this.allowListPath = options.allowList ?? 'scripts/allowed-skips.json';
  }

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
    this.filteredByName = vitest.config.testNamePattern !== undefined;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    const skipped: Skipped[] = [];
    const flaky: Flaky[] = [];
    for (const mod of testModules) {
      const file = relative(this.root, mod.moduleId);
      for (const t of mod.children.allTests()) {
        const result = t.result();
        if (result.state === 'passed') {
          passed++;
          if (t.diagnostic()?.flaky)
            flaky.push({
              file,
              test: t.fullName,
              error: (result.errors?.[0]?.message ?? 'no error kept').split('\n')[0]!.slice(0, 300),
            });
        } else if (result.state === 'failed') failed++;
        else
          skipped.push({
            file,
            test: t.fullName,
            note: result.state === 'skipped' ? result.note : undefined,
          });
      }
      // A file that failed to load has no tests but must count as a failure.
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++;
    }
    failed += unhandledErrors.length;
    const out: string[] = [];
    const unlisted = this.filteredByName ? [] : this.unlisted(skipped, out);
    if (unlisted.length > 0) {
      out.push(
        `\nSkip guard: ${unlisted.length} test(s) skipped without a listed reason (CI runs as root with every tool installed):`,
        ...unlisted.map((s) => `  ${s.file} > ${s.test}${s.note ? ` (${s.note})` : ''}`),
        `Make them run (install the tool in scripts/setup.sh, build the image in the test), or add them to ${this.allowListPath} with the reason.`,
      );
      process.exitCode = 1;
    }
    if (flaky.length > 0)
      out.push(
        `\nFlaky: ${flaky.length} test(s) failed once and passed when run again (integration tests get one retry; each is a bug to find):`,
        ...flaky.map((f) => `  ${f.file} > ${f.test}\n    first attempt: ${f.error}`),
      );
    const allowed = skipped.length - unlisted.length;
    const note = allowed > 0 && !this.filteredByName ? ` (${allowed} on the allow-list)` : '';
    const retried = flaky.length > 0 ? ` (${flaky.length} after a retry)` : '';
    out.push(`\nTests: ${passed} passed${retried}, ${failed} failed, ${skipped.length} skipped${note}\n`);
    process.stdout.write(out.join('\n'));
  }

  /** The skipped tests that the allow-list does not name; a bad allow-list is reported in `out`. */
  private unlisted(skipped: readonly Skipped[], out: string[]): Skipped[] {
    let list: AllowedSkip[];
    try {
      list = readAllowList(resolve(this.root, this.allowListPath));
    } catch (e) {
      out.push(`\nSkip guard: ${(e as Error).message}`);
      process.exitCode = 1;
      return [...skipped];
    }
    return skipped.filter((s) => !list.some((a) => a.file === s.file && a.test === s.test));
  }
}

/** Read and check the allow-list: a JSON array of {file, test, reason}, each with a reason. */
function readAllowList(path: string): AllowedSkip[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const list: unknown = JSON.parse(text);
  if (!Array.isArray(list)) throw new Error(`${path}: expected a JSON array of {file, test, reason}`);
  list.forEach((a: Partial<AllowedSkip>, i) => {
    for (const key of ['file', 'test', 'reason'] as const) {
      if (typeof a?.[key] !== 'string' || a[key].trim() === '')
        throw new Error(
          `${path}: entry ${i} has no ${key}; every allowed skip names its file, test and reason`,
        );
    }
  });
  return list as AllowedSkip[];
}

// vitest loads a reporter file through its default export.
export default SummaryReporter;
