import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertSums,
  hashFile,
  hashStream,
  MantleError,
  parseSums,
  run,
  verifyFileDigest,
  verifySums,
  writeSumsFile,
} from '@mantle/core';

const FIXTURES = fileURLToPath(new URL('./fixtures/verify/', import.meta.url));
let dir: string;
const names = ['a.raw', 'b with space.raw', 'sub/c.raw'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mantle-sums-'));
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'a.raw'), randomBytes(2 * 1024 * 1024 + 5));
  await writeFile(join(dir, 'b with space.raw'), 'hello\n');
  await writeFile(join(dir, 'sub/c.raw'), '');
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('hashes agree with coreutils', () => {
  it('hashFile/hashStream match sha256sum and sha512sum', async () => {
    for (const algo of ['sha256', 'sha512'] as const) {
      const res = await run(`${algo}sum`, [join(dir, 'a.raw')]);
      const expected = res.stdout.split(' ')[0];
      expect(await hashFile(join(dir, 'a.raw'), algo)).toBe(expected);
    }
    expect(await hashStream([Buffer.from('hello\n')])).toBe(
      '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03',
    );
    expect(
      await verifyFileDigest(
        join(dir, 'b with space.raw'),
        '5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03',
      ),
    ).toMatch(/^5891/);
    const err = await verifyFileDigest(join(dir, 'a.raw'), '0'.repeat(64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MantleError);
    expect((err as MantleError).code).toBe('VERIFY_CHECKSUM_MISMATCH');
    expect((err as MantleError).message).toContain('a.raw');
  });
});

describe('SHA256SUMS files', () => {
  it('what writeSumsFile writes, `sha256sum -c` accepts', async () => {
    const sums = join(dir, 'SHA256SUMS');
    const entries = await writeSumsFile(
      sums,
      names.map((n) => join(dir, n)),
    );
    expect(entries.map((e) => e.file)).toEqual(names);
    const res = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, reject: false });
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toContain('b with space.raw: OK');
  });

  it('what sha256sum/sha512sum write (text and binary mode), verifySums reads', async () => {
    const text = (await run('sha256sum', names, { cwd: dir })).stdout;
    const binary = (await run('sha512sum', ['--binary', ...names], { cwd: dir })).stdout;
    expect(parseSums(binary).every((e) => e.binary && e.algorithm === 'sha512')).toBe(true);
    await writeFile(join(dir, 'SHA512SUMS'), binary);
    for (const report of [
      await verifySums({ text, baseDir: dir }),
      await verifySums(join(dir, 'SHA512SUMS')),
    ]) {
      expect(report.ok).toBe(true);
      expect(report.results.map((r) => [r.file, r.status])).toEqual(names.map((n) => [n, 'ok']));
    }
  });

  it('reports each file ok, mismatch or missing', async () => {
    const work = join(dir, 'work');
    await mkdir(work);
    await writeFile(join(work, 'good.raw'), 'good');
    await writeFile(join(work, 'bad.raw'), 'bad');
    await writeSumsFile(
      join(work, 'SHA256SUMS'),
      ['good.raw', 'bad.raw'].map((f) => join(work, f)),
    );
    await writeFile(join(work, 'bad.raw'), 'tampered');
    await writeFile(
      join(work, 'SHA256SUMS'),
      (await readFile(join(work, 'SHA256SUMS'), 'utf8')) + `${'1'.repeat(64)}  gone.raw\n`,
    );
    const report = await verifySums(join(work, 'SHA256SUMS'));
    expect(report.ok).toBe(false);
    expect(report.results.map((r) => [r.file, r.status])).toEqual([
      ['good.raw', 'ok'],
      ['bad.raw', 'mismatch'],
      ['gone.raw', 'missing'],
    ]);
    const err = await assertSums(join(work, 'SHA256SUMS')).catch((e: unknown) => e);
    expect((err as MantleError).code).toBe('VERIFY_CHECKSUM_MISMATCH');
    expect((err as MantleError).message).toBe(
      'checksum verification failed: bad.raw (mismatch), gone.raw (missing)',
    );
    expect((await verifySums(join(work, 'SHA256SUMS'), { only: ['good.raw'] })).ok).toBe(true);
  });

  it('a malformed SUMS file names the file and line', async () => {
    const err = await verifySums(join(FIXTURES, 'SHA256SUMS.malformed')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MantleError);
    expect((err as MantleError).code).toBe('SUMS_MALFORMED');
    expect((err as MantleError).message).toBe(
      `${join(FIXTURES, 'SHA256SUMS.malformed')}: line 3 is not "<sha256 or sha512 hex>  <file>"`,
    );
  });
});
