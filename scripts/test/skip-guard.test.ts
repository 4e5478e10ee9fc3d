// The skip guard in the summary reporter, through a real vitest run of a small project: skipped
// tests that are not on the allow-list fail the run and are named; listed ones (with a reason) pass.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const reporter = join(repo, 'scripts/summary-reporter.ts');
const vitestBin = join(repo, 'node_modules/vitest/vitest.mjs');

// globals, so the fixture needs no `vitest` import resolvable from the temp dir
const SPEC = `
describe('tools', () => {
  it('runs', () => expect(1).toBe(1));
  it.skip('is skipped by flag', () => {});
  it.runIf(false)('needs root', () => {});
  it('skips itself', (ctx) => ctx.skip('mksquashfs missing'));
  it.todo('is a todo');
});
`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mantle-skip-guard-'));
  await writeFile(join(dir, 'demo.test.mjs'), SPEC);
  await writeFile(
    join(dir, 'vitest.config.mjs'),
    `export default { test: { globals: true, include: ['*.test.mjs'], reporters: [[${JSON.stringify(reporter)}, { allowList: 'allowed.json' }]] } };\n`,
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function vitest(...args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [vitestBin, 'run', '--root', dir, '--config', join(dir, 'vitest.config.mjs'), ...args],
      { cwd: dir, env: { ...process.env, CI: '1', NO_COLOR: '1' } },
      (err, stdout) => done({ code: err ? Number(err.code ?? 1) : 0, stdout }),
    );
  });
}

const allow = (entries: object[]) => writeFile(join(dir, 'allowed.json'), JSON.stringify(entries));
const skippedNames = ['is skipped by flag', 'needs root', 'skips itself', 'is a todo'];

describe('skip guard', () => {
  it('fails the run naming every skipped test that is not on the allow-list', async () => {
    await allow([{ file: 'demo.test.mjs', test: 'tools > needs root', reason: 'runs only as root' }]);
    const r = await vitest();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Skip guard: 3 test(s) skipped without a listed reason');
    expect(r.stdout).toContain('demo.test.mjs > tools > is skipped by flag');
    expect(r.stdout).toContain('demo.test.mjs > tools > skips itself (mksquashfs missing)');
    expect(r.stdout).toContain('demo.test.mjs > tools > is a todo');
    expect(r.stdout).not.toContain('demo.test.mjs > tools > needs root');
    expect(r.stdout).toContain('Tests: 1 passed, 0 failed, 4 skipped (1 on the allow-list)');
  });

  it('passes when every skipped test is listed with a reason', async () => {
    await allow(skippedNames.map((n) => ({ file: 'demo.test.mjs', test: `tools > ${n}`, reason: 'demo' })));
    const r = await vitest();
    expect(r.stdout).not.toContain('Skip guard');
    expect(r.stdout).toContain('Tests: 1 passed, 0 failed, 4 skipped (4 on the allow-list)');
    expect(r.code).toBe(0);
  });

  it('refuses an allow-list entry without a reason', async () => {
    await allow(skippedNames.map((n) => ({ file: 'demo.test.mjs', test: `tools > ${n}`, reason: '' })));
    const r = await vitest();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('allowed.json: entry 0 has no reason');
  });

  it('does not guard a run filtered by test name (-t skips the rest by design)', async () => {
    await allow([]);
    const r = await vitest('-t', 'runs');
    expect(r.stdout).not.toContain('Skip guard');
    expect(r.code).toBe(0);
  });
});

describe('flaky list', () => {
  it('names a test that passed only on its retry, with its first error, and counts it', async () => {
    const flakyDir = await mkdtemp(join(tmpdir(), 'mantle-flaky-'));
    try {
      // the first attempt fails, the retry passes: what a timing flake looks like
      await writeFile(
        join(flakyDir, 'flaky.test.mjs'),
        `let attempt = 0;
describe('timing', () => {
  it('steady', () => expect(1).toBe(1));
  it('wobbles', () => { attempt++; expect(attempt, 'first attempt lost a race').toBe(2); });
});
`,
      );
      await writeFile(
        join(flakyDir, 'vitest.config.mjs'),
        `export default { test: { globals: true, retry: 1, include: ['*.test.mjs'], reporters: [[${JSON.stringify(reporter)}, { allowList: 'none.json' }]] } };\n`,
      );
      const r = await new Promise<{ code: number; stdout: string }>((done) => {
        execFile(
          process.execPath,
          [vitestBin, 'run', '--root', flakyDir, '--config', join(flakyDir, 'vitest.config.mjs')],
          { cwd: flakyDir, env: { ...process.env, CI: '1', NO_COLOR: '1' } },
          (err, stdout) => done({ code: err ? Number(err.code ?? 1) : 0, stdout }),
        );
      });
      expect(r.stdout).toContain('Flaky: 1 test(s) failed once and passed when run again');
      expect(r.stdout).toContain('flaky.test.mjs > timing > wobbles');
      expect(r.stdout).toContain('first attempt: first attempt lost a race');
      expect(r.stdout).toContain('Tests: 2 passed (1 after a retry), 0 failed, 0 skipped');
      expect(r.code).toBe(0);
    } finally {
      await rm(flakyDir, { recursive: true, force: true });
    }
  });
});
