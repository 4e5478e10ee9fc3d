import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarCheck } from './tar-check.js';
import { confinedHostPath } from './paths.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pilot-tar-'));
  await mkdir(join(dir, 'src', 'etc'), { recursive: true });
  await writeFile(join(dir, 'src', 'etc', 'ok.conf'), 'ok\n');
  await writeFile(join(dir, 'src', `${'long-name-'.repeat(15)}.txt`), 'long\n');
  await symlink('/etc/alternatives/x', join(dir, 'src', 'abs-link'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pass(tar: Buffer, stripEnd = false): Promise<Buffer> {
  const out: Buffer[] = [];
  // small chunks: headers must be found across chunk boundaries
  const chunks = Array.from({ length: Math.ceil(tar.length / 100) }, (_, i) =>
    tar.subarray(i * 100, i * 100 + 100),
  );
  for await (const c of Readable.from(chunks).pipe(tarCheck({ stripEnd }))) out.push(c as Buffer);
  return Buffer.concat(out);
}

const tarOf = (args: string[]): Buffer => execFileSync('tar', ['-C', join(dir, 'src'), '-cf', '-', ...args]);

describe('tarCheck', () => {
  it('passes a normal archive unchanged (gnu long names, absolute symlink targets)', async () => {
    const tar = tarOf(['--format=gnu', '.']);
    expect((await pass(tar)).equals(tar)).toBe(true);
    const pax = tarOf(['--format=pax', '.']);
    expect((await pass(pax)).equals(pax)).toBe(true);
  });
  it('refuses .. and absolute names, also hidden in pax headers', async () => {
    const dotdot = execFileSync('tar', [
      '-C',
      join(dir, 'src'),
      '-cf',
      '-',
      '--transform',
      's,^etc,../../etc,',
      'etc/ok.conf',
    ]);
    await expect(pass(dotdot)).rejects.toThrow(/has a '\.\.' component/);
    const abs = execFileSync('tar', [
      '-C',
      join(dir, 'src'),
      '-P',
      '-cf',
      '-',
      '--format=pax',
      '--transform',
      `s,^,/,`,
      'etc/ok.conf',
    ]);
    await expect(pass(abs)).rejects.toThrow(/is absolute/);
  });
  it('cuts the end-of-archive blocks with stripEnd', async () => {
    const tar = tarOf(['etc']);
    const body = await pass(tar, true);
    expect(body.length).toBeLessThan(tar.length);
    expect(body.length % 512).toBe(0);
    expect(tar.subarray(0, body.length).equals(body)).toBe(true);
    expect(await readFile(join(dir, 'src', 'etc', 'ok.conf'), 'utf8')).toBe('ok\n');
  });
});

describe('confinedHostPath', () => {
  it('takes absolute paths without .. and refuses the rest', () => {
    expect(confinedHostPath('/etc/hosts')).toBe('etc/hosts');
    for (const bad of ['etc/hosts', '/etc/../shadow', '/', '/a//b', '/./a'])
      expect(confinedHostPath(bad)).toBeUndefined();
  });
});
