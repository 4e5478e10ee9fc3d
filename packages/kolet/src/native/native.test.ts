import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '@mantle/core/errors';
import { loadNativeModule, registerModuleExports } from './load-module.js';
import { interpretKoletRun, KOLET_EXIT, REBOOT_MARK_ENV, REBOOT_REQUEST_FILE_ENV } from './protocol.js';
import { NativeRegistry } from './registry.js';
import { runNativeFunction, type RunNativeOptions } from './run-native.js';
import { writeRebootRequest } from './reboot-request.js';
import { registerSelfTest } from './self-test.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kolet-native-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function runIt(
  registry: NativeRegistry,
  test: string,
  func: string,
  extra: Partial<RunNativeOptions> = {},
) {
  const out = sink();
  const err = sink();
  const result = await runNativeFunction({
    registry,
    test,
    func,
    stdout: out.stream,
    stderr: err.stream,
    env: { ...process.env },
    ...extra,
  });
  return { result, stdout: out.text(), stderr: err.text() };
}

describe('NativeRegistry', () => {
  it('registers defineTest-like objects and single functions, lists them sorted', () => {
    const r = new NativeRegistry();
    r.register({ name: 'b.test', nativeFuncs: { z: () => 1, a: () => 2 } });
    r.registerNative('a.test', 'only', () => 3);
    r.register({ name: 'no.natives' });
    expect(r.list()).toEqual([
      { test: 'a.test', funcs: ['only'] },
      { test: 'b.test', funcs: ['a', 'z'] },
    ]);
    expect(r.size).toBe(3);
    expect(r.has('b.test', 'z')).toBe(true);
    expect(() => r.registerNative('', 'f', () => 0)).toThrow(InputError);
    expect(() => r.register({ nativeFuncs: {} } as never)).toThrow(/needs an object with a string 'name'/);
  });
});

describe('runNativeFunction', () => {
  const registry = new NativeRegistry();
  registerSelfTest(registry);
  registry.registerNative('t', 'json', () => ({ ok: true }));
  registry.registerNative('t', 'async-fail', async () => {
    await new Promise((r) => setTimeout(r, 5));
    throw new Error('disk is full');
  });
  registry.registerNative('t', 'throws-string', () => {
    throw 'plain string'; // eslint-disable-line @typescript-eslint/only-throw-error
  });
  registry.registerNative('t', 'hang', () => new Promise(() => undefined));
  registry.registerNative('t', 'log', (ctx) => {
    ctx.log('hello', { n: 1 });
    return `${ctx.test}/${ctx.func} mark=${ctx.rebootMark ?? 'none'} env=${process.env[REBOOT_MARK_ENV] ?? 'none'}`;
  });
  registry.registerNative('t', 'child-requests-reboot', () => {
    // What a shell script run by the function does: `kolet reboot-request MARK`.
    const r = spawnSync('/bin/sh', ['-c', `echo from-child > "$${REBOOT_REQUEST_FILE_ENV}"`], {
      env: process.env,
    });
    if (r.status !== 0) throw new Error('child failed');
  });
  registry.registerNative('t', 'lib-requests-reboot', async () => {
    await writeRebootRequest('via-lib');
    return 'before reboot';
  });

  it('passes and prints a returned string or JSON value', async () => {
    expect(await runIt(registry, 'kolet.self', 'pass')).toMatchObject({
      result: { status: 'pass' },
      stdout: 'kolet.self pass\n',
    });
    expect((await runIt(registry, 't', 'json')).stdout).toBe('{\n  "ok": true\n}\n');
  });

  it('fails with the error message', async () => {
    expect((await runIt(registry, 't', 'async-fail')).result).toMatchObject({
      status: 'fail',
      message: 'disk is full',
    });
    expect((await runIt(registry, 't', 'throws-string')).result).toMatchObject({
      status: 'fail',
      message: "threw 'plain string'",
    });
  });

  it('skips', async () => {
    expect((await runIt(registry, 'kolet.self', 'skip')).result).toEqual({
      status: 'skip',
      reason: 'kolet.self skip: skipping on purpose',
    });
  });

  it('gives the function its names, a logger and the reboot mark (also in the environment)', async () => {
    const first = await runIt(registry, 't', 'log', { env: process.env });
    expect(first.stdout).toBe('t/log mark=none env=none\n');
    expect(first.stderr).toBe('hello {"n":1}\n');
    const again = await runIt(registry, 't', 'log', { rebootMark: 'm1', env: process.env });
    expect(again.stdout).toBe('t/log mark=m1 env=m1\n');
    expect(process.env[REBOOT_MARK_ENV]).toBeUndefined(); // restored afterwards
  });

  it('asks for a reboot from ctx, from a child process, or through the library', async () => {
    expect((await runIt(registry, 'kolet.self', 'reboot-once')).result).toEqual({
      status: 'reboot',
      mark: 'kolet-self-rebooted',
    });
    const after = await runIt(registry, 'kolet.self', 'reboot-once', { rebootMark: 'kolet-self-rebooted' });
    expect(after.result).toEqual({ status: 'pass' });
    expect(after.stdout).toMatch(/^rebooted: mark=kolet-self-rebooted boot_id=[0-9a-f-]{36}\n$/);
    expect((await runIt(registry, 't', 'child-requests-reboot', { env: process.env })).result).toEqual({
      status: 'reboot',
      mark: 'from-child',
    });
    const lib = await runIt(registry, 't', 'lib-requests-reboot', { env: process.env });
    expect(lib).toMatchObject({ result: { status: 'reboot', mark: 'via-lib' }, stdout: 'before reboot\n' });
    expect(process.env[REBOOT_REQUEST_FILE_ENV]).toBeUndefined();
  });

  it('fails a function that outlives its timeout', async () => {
    expect((await runIt(registry, 't', 'hang', { timeoutMs: 50 })).result).toMatchObject({
      status: 'fail',
      message: 'timed out after 0.05s',
    });
  });

  it('is a UsageError (exit 2) listing the known functions for an unknown test or function', async () => {
    const err = await runIt(registry, 'kolet.self', 'nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).message).toBe(
      'test kolet.self has no native function "nope"; known: kolet.self: boot-id, fail, pass, reboot-once, skip; t: async-fail, child-requests-reboot, hang, json, lib-requests-reboot, log, throws-string',
    );
    await expect(runIt(registry, 'no.such', 'f')).rejects.toThrow(
      /^no test "no.such" with native functions; known: /,
    );
    await expect(runIt(registry, 't', 'log', { rebootMark: 'bad mark' })).rejects.toThrow(
      /--reboot-mark: reboot mark "bad mark" must be/,
    );
  });

  it('refuses reboot-request outside kolet run', async () => {
    await expect(writeRebootRequest('x', {})).rejects.toThrow(/KOLET_REBOOT_REQUEST_FILE is not set/);
  });
});

describe('native modules (--module)', () => {
  it('loads an ES module exporting tests, and a register() module, without rebuilding', async () => {
    const esm = join(dir, 'tests.mjs');
    await writeFile(
      esm,
      "export const t1 = { name: 'ext.one', nativeFuncs: { hello: () => 'hi' }, run() {} };\nexport const list = [{ name: 'ext.two', nativeFuncs: { a() {} } }];\n",
    );
    const reg = join(dir, 'reg.mjs');
    await writeFile(
      reg,
      "export function register(registry, kola) { registry.register(kola.defineTest({ name: 'ext.reg', nativeFuncs: { f: () => 1 } })); kola.registerNative('ext.reg', 'g', () => 2); }\n",
    );
    const cjs = join(dir, 'tests.cjs');
    await writeFile(cjs, "module.exports = { t: { name: 'ext.cjs', nativeFuncs: { c: () => 'c' } } };\n");
    const r = new NativeRegistry();
    expect(await loadNativeModule(esm, r)).toBe(2);
    expect(await loadNativeModule(reg, r)).toBe(2);
    expect(await loadNativeModule(cjs, r, { sea: true })).toBe(1); // the require() path the executable uses
    expect(r.list().map((t) => `${t.test}:${t.funcs.join(',')}`)).toEqual([
      'ext.cjs:c',
      'ext.one:hello',
      'ext.reg:f,g',
      'ext.two:a',
    ]);
  });

  it('names the file when it is missing, broken or registers nothing', async () => {
    const r = new NativeRegistry();
    await expect(loadNativeModule(join(dir, 'absent.mjs'), r)).rejects.toMatchObject({
      code: 'INPUT_NOT_FOUND',
      exitCode: 2,
    });
    const broken = join(dir, 'broken.mjs');
    await writeFile(broken, 'export const = ;\n');
    await expect(loadNativeModule(broken, r)).rejects.toThrow(/--module .*broken\.mjs failed to load/);
    const empty = join(dir, 'empty.mjs');
    await writeFile(empty, 'export const x = 1;\n');
    await expect(loadNativeModule(empty, r)).rejects.toThrow(/registers no native functions/);
  });

  it('registers namespaces of bundled modules (as kola builtinTests arrays)', async () => {
    const r = new NativeRegistry();
    const n = await registerModuleExports(
      {
        builtinTests: [
          { name: 'k.a', nativeFuncs: { x: () => 0 } },
          { name: 'k.b', nativeFuncs: {} },
        ],
        registerBuiltinTests: () => undefined,
      },
      r,
      'bundled',
    );
    expect(n).toBe(1);
    expect(r.list()).toEqual([{ test: 'k.a', funcs: ['x'] }]);
  });
});

describe('interpretKoletRun', () => {
  it('maps exit codes and strips the reboot line', () => {
    expect(interpretKoletRun({ exitCode: 0, stdout: 'out\n', stderr: '' })).toEqual({
      status: 'pass',
      stdout: 'out\n',
    });
    expect(interpretKoletRun({ exitCode: 1, stdout: '', stderr: 'FAIL: t/f: boom\n' })).toEqual({
      status: 'fail',
      stdout: '',
      message: 'FAIL: t/f: boom',
    });
    expect(interpretKoletRun({ exitCode: KOLET_EXIT.skip, stdout: '', stderr: 'SKIP: no tpm\n' })).toEqual({
      status: 'skip',
      stdout: '',
      message: 'no tpm',
    });
    expect(
      interpretKoletRun({ exitCode: 78, stdout: 'before\nKOLET_REBOOT_REQUEST m-1\n', stderr: '' }),
    ).toEqual({ status: 'reboot', stdout: 'before\n', mark: 'm-1' });
    expect(interpretKoletRun({ exitCode: 78, stdout: 'garbage\n', stderr: '' })).toMatchObject({
      status: 'error',
      exitCode: 78,
    });
    expect(interpretKoletRun({ exitCode: 2, stdout: '', stderr: 'error: no test\n' })).toEqual({
      status: 'error',
      stdout: '',
      exitCode: 2,
      message: 'error: no test',
    });
  });
});
