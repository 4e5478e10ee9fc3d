// `kola run` end to end: the built bin, the real qemu platform (TCG) and the tiny test image.
// The built-in tests must pass; a hung test must time out with its console and leave no qemu
// behind; SIGINT must stop the run with exit 130, reports written, no qemu left.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyImage, qemuPidsWith } from './qemu-helpers.js';
import { kola } from '@mantle/test-utils/systemd-image';

const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let cwd: string;

interface Report {
  tests: {
    name: string;
    result: string;
    output: string;
    timedOut?: boolean;
    interrupted?: boolean;
    notRun?: boolean;
  }[];
  result: string;
  platform: string;
  version: string;
}

const readReport = async (dir: string): Promise<Report> =>
  JSON.parse(await readFile(join(dir, 'reports', 'report.json'), 'utf8')) as Report;

beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run pnpm --filter @mantle/core --filter @mantle/kola build`);
  await ensureTinyImage();
  cwd = await mkdtemp(join(tmpdir(), 'kola-harness-qemu-'));
}, 900_000);

afterAll(async () => {
  expect(await qemuPidsWith(cwd)).toEqual([]);
  await rm(cwd, { recursive: true, force: true });
});

describe('kola run on qemu with the tiny image', () => {
  it('passes every built-in tiny test (-j 2) and writes the reports', async () => {
    const out = join(cwd, 'tiny');
    const r = await kola(['run', '--tag', 'tiny', '-j', '2', '--output-dir', out, '--json'], {
      cwd,
      timeoutMs: 900_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({ result: 'PASS', platform: 'qemu' });
    expect(report.version).toMatch(/^\d+/);
    expect(report.tests.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'basic.ssh',
        'basic.os-release',
        'basic.hostname',
        'ignition.files',
        'cluster.lan',
        'cluster.lan/tcp',
        'reboot.bootid',
        'console.check-flags',
      ]),
    );
    expect(report.tests.filter((t) => t.result !== 'PASS')).toEqual([]);
    // console.check-flags really saw its kernel panic line on the console
    expect(report.tests.find((t) => t.name === 'console.check-flags')?.output).toContain(
      'Kernel panic - not syncing: kola-test',
    );
    expect(r.stderr).toContain('=== RUN   basic.ssh');
    expect(r.stderr).toContain(`PASS, output in ${out}`);
  }, 900_000);

  it('a hung test times out with the console tail and its machine destroyed', async () => {
    const tests = join(cwd, 'ext');
    await mkdir(tests);
    await writeFile(
      join(tests, 'hang.mjs'),
      `export function register(registry, kola) {
         registry.register(kola.defineTest({ name: 'ext.hang', timeout: '5s', run: () => new Promise(() => {}) }));
       }`,
    );
    const out = join(cwd, 'hang');
    // the timeout covers the boot too: 5 s may end during the boot or after; both must be clean
    const r = await kola(['run', 'ext.hang', '--tests-dir', tests, '--output-dir', out], {
      cwd,
      timeoutMs: 300_000,
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('--- FAIL: ext.hang');
    const t = (await readReport(out)).tests[0];
    expect(t).toMatchObject({ name: 'ext.hang', result: 'FAIL', timedOut: true });
    expect(t?.output).toContain('test timed out after 5.00s');
    expect(t?.output).toMatch(/console of qemu-\w+ \(last \d+ lines\):/);
    expect(await qemuPidsWith(out)).toEqual([]);
  }, 300_000);

  it('SIGINT stops the run: exit 130, reports say interrupted, no qemu left', async () => {
    const out = join(cwd, 'sigint');
    const child = spawn(process.execPath, [bin, 'run', 'reboot.bootid', 'basic.ssh', '--output-dir', out], {
      cwd,
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.resume();
    const code = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
    // interrupt while the first test's machine is booting or running; a loaded runner may take
    // long to get there, and a SIGINT before it would test something else (basic.ssh not run)
    const deadline = Date.now() + 240_000;
    while (!stdout.includes('=== RUN   basic.ssh')) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`kola did not start basic.ssh (exit ${child.exitCode}); stdout:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    expect(await code).toBe(130);
    const report = await readReport(out);
    expect(report.result).toBe('FAIL');
    expect(report.tests.find((t) => t.name === 'basic.ssh')).toMatchObject({
      result: 'FAIL',
      interrupted: true,
    });
    expect(report.tests.find((t) => t.name === 'reboot.bootid')).toMatchObject({
      result: 'SKIP',
      notRun: true,
      interrupted: true,
    });
    expect(await qemuPidsWith(out)).toEqual([]);
  }, 300_000);
});
