import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@mantle/core/errors';
import { DEFAULT_TEST_TIMEOUT_MS, defineTest, isKolaTest } from './define-test.js';
import { compareVersions, versionOutsideRange } from './version-compare.js';
import { parseDuration } from './duration.js';
import { loadTestsDir } from './load-tests-dir.js';
import { Registry } from './registry.js';

describe('defineTest', () => {
  it('applies the defaults mantle users expect', () => {
    const t = defineTest({ name: 'x.defaults', run: () => {} });
    expect(t).toMatchObject({
      clusterSize: 1,
      timeoutMs: DEFAULT_TEST_TIMEOUT_MS,
      defaultUser: 'core',
      failFast: false,
      flags: [],
      tags: [],
      platforms: [],
      source: 'built-in',
    });
    expect(DEFAULT_TEST_TIMEOUT_MS).toBe(600_000);
    expect(isKolaTest(t)).toBe(true);
    expect(isKolaTest({ ...t })).toBe(true);
    expect(isKolaTest({ name: 'plain', run: () => {} })).toBe(false);
    expect(Object.isFrozen(t)).toBe(true);
  });

  it('normalises architectures and parses timeouts', () => {
    const t = defineTest({
      name: 'x.arch',
      run: () => {},
      architectures: ['x86_64', 'aarch64'],
      timeout: '1m30s',
    });
    expect(t.architectures).toEqual(['amd64', 'arm64']);
    expect(t.timeoutMs).toBe(90_000);
  });

  it.each([
    [{ name: '', run: () => {} }, "field 'name'"],
    [{ name: 'has space', run: () => {} }, "field 'name'"],
    [{ name: 'a/b', run: () => {} }, "field 'name'"],
    [{ name: 'glob.*', run: () => {} }, "field 'name'"],
    [{ name: 'x.norun' }, "field 'run'"],
    [{ name: 'x.size', run: () => {}, clusterSize: -1 }, "field 'clusterSize'"],
    [{ name: 'x.flag', run: () => {}, flags: ['no-such-flag'] }, "field 'flags.0'"],
    [{ name: 'x.timeout', run: () => {}, timeout: 'soon' }, 'timeout'],
    [{ name: '..', run: () => {} }, "not '.' or '..'"],
    [{ name: '.', run: () => {} }, "not '.' or '..'"],
    [{ name: 'a\u0007b', run: () => {} }, 'control characters'],
    [{ name: 'x.long', run: () => {}, timeout: '9999999h' }, 'longer than the maximum of 24h'],
    [{ name: 'x.longms', run: () => {}, timeout: 2 ** 31 }, 'longer than the maximum of 24h'],
  ])('rejects %o naming the field', (def, field) => {
    let err: unknown;
    try {
      defineTest(def as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain(field);
    expect((err as InputError).exitCode).toBe(2);
  });
});

describe('Registry', () => {
  it('lists sorted, gets by name, and rejects duplicates naming both sources', () => {
    const r = new Registry();
    r.register(defineTest({ name: 'b.two', run: () => {} }));
    r.register({ name: 'a.one', run: () => {} }, '/tests/one.js');
    expect(r.list().map((t) => t.name)).toEqual(['a.one', 'b.two']);
    expect(r.get('a.one')?.source).toBe('/tests/one.js');
    expect(r.size).toBe(2);
    expect(() => r.register({ name: 'a.one', run: () => {} }, '/tests/other.js')).toThrow(
      /test a\.one is defined twice: in \/tests\/one\.js and in \/tests\/other\.js/,
    );
  });
});

describe('versions and durations', () => {
  it('compares os-release versions semver-ish', () => {
    expect(compareVersions('3815.2.0', '3815.2.0')).toBe(0);
    expect(compareVersions('3815.2.1', '3815.2.0')).toBe(1);
    expect(compareVersions('3815.10.0', '3815.9.0')).toBe(1);
    expect(compareVersions('3815', '3815.0.0')).toBe(0);
    expect(compareVersions('4081.0.0+nightly-20240101', '4081.0.0')).toBe(0);
    expect(compareVersions('1.2.3-rc1', '1.2.3')).toBe(-1);
    expect(versionOutsideRange('1.0', { minVersion: '1.0' })).toBeUndefined();
    expect(versionOutsideRange('0.9', { minVersion: '1.0' })).toContain('older');
    expect(versionOutsideRange('2.0', { endVersion: '2.0' })).toContain('at or past');
  });

  it('parses Go-style durations', () => {
    expect(parseDuration('10m', 't')).toBe(600_000);
    expect(parseDuration('1h30m', 't')).toBe(5_400_000);
    expect(parseDuration('500ms', 't')).toBe(500);
    expect(parseDuration('2500', 't')).toBe(2500);
    expect(() => parseDuration('10 minutes', 'timeout')).toThrow(/timeout: '10 minutes' is not a duration/);
    expect(() => parseDuration(0, 'timeout')).toThrow(InputError);
    // past 2^31-1 ms Node's timers fire at once: refused, not overflowed
    expect(parseDuration('24h', 't')).toBe(86_400_000);
    expect(() => parseDuration('24h1ms', 'timeout')).toThrow(
      /timeout: '24h1ms' is longer than the maximum of 24h/,
    );
    expect(() => parseDuration('9999999h', 'timeout')).toThrow(/longer than the maximum of 24h/);
  });
});

describe('loadTestsDir', () => {
  let dir: string;
  const kolaUrl = pathToFileURL(join(import.meta.dirname, 'define-test.ts')).href;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kola-testsdir-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads register() modules and defineTest exports, recording the file as source', async () => {
    const d = join(dir, 'ok');
    await import('node:fs/promises').then((fs) => fs.mkdir(d));
    await writeFile(
      join(d, 'a-register.mjs'),
      `export function register(registry, kola) {
         registry.register(kola.defineTest({ name: 'ext.register', tags: ['ext'], run: () => {} }));
         registry.register({ name: 'ext.plain', run: () => {} });
       }`,
    );
    await writeFile(
      join(d, 'b-exports.mjs'),
      `import { defineTest } from ${JSON.stringify(kolaUrl)};
       export const one = defineTest({ name: 'ext.export', run: () => {} });
       export const many = [defineTest({ name: 'ext.array', run: () => {} })];
       export const notATest = 42;`,
    );
    await writeFile(join(d, 'notes.txt'), 'ignored');
    const r = new Registry();
    const loaded = await loadTestsDir(d, r);
    expect(loaded.map((l) => [l.file.split('/').pop(), l.tests])).toEqual([
      ['a-register.mjs', ['ext.plain', 'ext.register']],
      ['b-exports.mjs', ['ext.array', 'ext.export']],
    ]);
    expect(r.get('ext.register')?.source).toBe(join(d, 'a-register.mjs'));
    expect(r.get('ext.export')?.source).toBe(join(d, 'b-exports.mjs'));
  });

  it('names the file when a module fails to load, exports nothing, or duplicates a test', async () => {
    const bad = join(dir, 'bad');
    const empty = join(dir, 'empty');
    const dup = join(dir, 'dup');
    const fs = await import('node:fs/promises');
    await Promise.all([fs.mkdir(bad), fs.mkdir(empty), fs.mkdir(dup)]);
    await writeFile(join(bad, 'broken.mjs'), 'export const = ;');
    await writeFile(join(empty, 'nothing.mjs'), 'export const x = 1;');
    await writeFile(
      join(dup, 'dup.mjs'),
      `export function register(r) { r.register({ name: 'basic.ssh', run() {} }); }`,
    );
    await expect(loadTestsDir(bad, new Registry())).rejects.toThrow(
      /test module .*broken\.mjs failed to load/,
    );
    await expect(loadTestsDir(empty, new Registry())).rejects.toThrow(
      /nothing\.mjs exports neither register/,
    );
    const r = new Registry();
    r.register({ name: 'basic.ssh', run: () => {} });
    await expect(loadTestsDir(dup, r)).rejects.toThrow(
      /basic\.ssh is defined twice: in built-in and in .*dup\.mjs/,
    );
    await expect(loadTestsDir(join(dir, 'missing'), new Registry())).rejects.toThrow(/--tests-dir .*missing/);
  });
});
