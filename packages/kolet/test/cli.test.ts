// The built `kolet` (node dist/cli.js) as a shell pipeline runs it: a reader that leaves early
// ends kolet quietly, whether kolet was printing its data or still working.
// Needs: pnpm --filter @mantle/core --filter @mantle/kolet build
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { runWithClosedPipe } from '@mantle/test-utils/closed-pipe';

const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let dir: string;

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run pnpm --filter @mantle/kolet build`);
  dir = await mkdtemp(join(tmpdir(), 'kolet-cli-'));
  // 6000 functions (a listing far larger than a pipe holds), and one that streams lines until
  // it is stopped.
  // One function per way a run ends, for `kolet run --json`.
  await writeFile(
    join(dir, 'ends.mjs'),
    `export function register(registry) {
       registry.registerNative('ends', 'pass', () => ({ answer: 42 }));
       registry.registerNative('ends', 'fail', () => { throw new Error('it broke'); });
       registry.registerNative('ends', 'skip', (ctx) => ctx.skip('not here'));
       registry.registerNative('ends', 'reboot', (ctx) => (ctx.rebootMark ? 'after ' + ctx.rebootMark : ctx.rebootRequest('m1')));
     }`,
  );
  await writeFile(
    join(dir, 'mod.mjs'),
    `export function register(registry) {
       for (let i = 0; i < 6000; i++) registry.registerNative('many.t' + i, 'f', () => 'ok');
       registry.registerNative('pipe', 'stream', async (ctx) => {
         for (let i = 0; !ctx.signal.aborted; i++) {
           process.stdout.write('line ' + i + ' ' + 'x'.repeat(200) + '\\n');
           await new Promise((r) => setTimeout(r, 5));
         }
         throw new Error('stopped: ' + String(ctx.signal.reason && ctx.signal.reason.message));
       });
     }`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kolet in a pipeline whose reader leaves early', () => {
  for (const args of [['list', '-m', 'mod.mjs'], ['list', '-m', 'mod.mjs', '--json'], ['--help']]) {
    it(`kolet ${args.join(' ')} exits 0 without a stack`, async () => {
      const r = await runWithClosedPipe(bin, args, { cwd: dir });
      expect(r.head).toHaveLength(10);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }

  it('a native function still writing is stopped, quietly, with the exit code of `ls` killed by SIGPIPE (141)', async () => {
    const r = await runWithClosedPipe(bin, ['run', 'pipe', 'stream', '-m', 'mod.mjs'], {
      cwd: dir,
      bytes: 20,
    });
    expect(r.head).toBe('line 0 xxxxxxxxxxxxx');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(141);
  });
});

describe('kolet run --json', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [bin, 'run', '-m', 'ends.mjs', '--json', ...args], {
      cwd: dir,
      encoding: 'utf8',
    });

  it("prints kola's reading of the run as one JSON object, the function's output in it, with the usual exit codes", () => {
    const pass = run('ends', 'pass');
    expect(pass.status, pass.stderr).toBe(0);
    expect(JSON.parse(pass.stdout)).toEqual({
      test: 'ends',
      func: 'pass',
      status: 'pass',
      stdout: '{\n  "answer": 42\n}\n',
    });
    const fail = run('ends', 'fail');
    expect(fail.status).toBe(1);
    expect(JSON.parse(fail.stdout)).toEqual({
      test: 'ends',
      func: 'fail',
      status: 'fail',
      stdout: '',
      message: 'it broke',
    });
    expect(fail.stderr).toContain('FAIL: ends/fail: it broke');
    const skip = run('ends', 'skip');
    expect(skip.status).toBe(77);
    expect(JSON.parse(skip.stdout)).toMatchObject({ status: 'skip', message: 'not here' });
    // The reboot request is the JSON's mark, not a protocol line on stdout; the rerun sees it.
    const reboot = run('ends', 'reboot');
    expect(reboot.status).toBe(78);
    expect(JSON.parse(reboot.stdout)).toEqual({
      test: 'ends',
      func: 'reboot',
      status: 'reboot',
      stdout: '',
      mark: 'm1',
    });
    const again = run('ends', 'reboot', '--reboot-mark', 'm1');
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'pass', stdout: 'after m1\n' });
  });

  it('an unknown function is exit 2 with a JSON error on stderr and nothing on stdout', () => {
    const r = run('ends', 'nope');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toMatchObject({ code: 'NATIVE_NOT_FOUND', details: { func: 'nope' } });
  });
});

describe('kolet: a missing input file is exit 2 naming it', () => {
  for (const [args, msg] of [
    [['check', 'nope.yaml'], 'error: SPEC nope.yaml: no such file or directory'],
    [
      ['check', '--vars', 'nope-vars.yaml', 'nope.yaml'],
      'error: --vars nope-vars.yaml: no such file or directory',
    ],
    [['run', '-m', 'nope.mjs', 'a', 'b'], 'error: --module nope.mjs: no such file or directory'],
  ] as const) {
    it(`kolet ${args.join(' ')}`, () => {
      const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(msg);
      expect(r.stderr).toContain(`relative paths are taken from the current directory, ${dir}`);
    });
  }
});
