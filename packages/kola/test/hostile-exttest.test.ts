// kola with hostile external test directories, through the real bin: names from kola.json that
// would become `..` path segments under --output-dir (kola wrote console, journal and ignition
// files one level above it), durations that overflow Node's timers, and links that lead out of
// the test directory. Each is refused with exit 2 naming the entry, before any machine boots,
// and nothing next to --output-dir or in the decoy directory changes.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kola, kolaBin } from '@mantle/test-utils/systemd-image';

let cwd: string;
let decoy: string;

/** Names, modes, owners and content hashes of everything below `dir`. */
async function state(dir: string): Promise<string[]> {
  const rows: string[] = [];
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    const p = join(dir, name);
    const st = await lstat(p);
    const data = st.isFile()
      ? createHash('sha256')
          .update(await readFile(p))
          .digest('hex')
      : '';
    rows.push(`${name} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${data}`);
  }
  return rows;
}

/** DIR with one executable test and `files` (text, or `{ link }` for a symlink). */
async function testDir(name: string, files: Record<string, string | { link: string }>): Promise<string> {
  const dir = join(cwd, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 't.sh'), '#!/bin/sh\necho ok\n');
  await chmod(join(dir, 't.sh'), 0o755);
  for (const [f, v] of Object.entries(files)) {
    if (typeof v === 'string') await writeFile(join(dir, f), v);
    else await symlink(v.link, join(dir, f));
  }
  return dir;
}

beforeAll(async () => {
  if (!existsSync(kolaBin)) throw new Error(`${kolaBin} is missing: run pnpm build`);
  cwd = await mkdtemp(join(tmpdir(), 'kola-hostile-'));
  decoy = join(cwd, 'decoy');
  await mkdir(join(decoy, 'sub'), { recursive: true });
  await writeFile(join(decoy, 'secret.txt'), 'host secret\n', { mode: 0o600 });
  await writeFile(join(decoy, 'checks.yaml'), 'file:\n  /etc/hostname:\n    exists: true\n');
  await writeFile(join(decoy, 'sub/config.bu'), 'variant: fcos\nversion: 1.4.0\n');
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

/** `kola run -E DIR --output-dir WORK/out-N`: exit 2 naming `named`, nothing beside out-N or in the decoy changed. */
async function refused(dir: string, ...named: string[]): Promise<void> {
  const out = join(cwd, `out-${Math.random().toString(36).slice(2)}`);
  const before = await state(cwd);
  const r = await kola(['run', '-E', dir, '--output-dir', out], { cwd, timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(2);
  for (const n of named) expect(r.stderr).toContain(n);
  expect(r.stderr).not.toContain('=== RUN');
  await rm(out, { recursive: true, force: true });
  expect(await state(cwd)).toEqual(before);
}

describe('kola -E with hostile test directories (real bin, no machine)', () => {
  it('refuses test names that are . or .. or hold control characters', async () => {
    await refused(
      await testDir('dotdot', { 'kola.json': '{"name": ".."}' }),
      "field 'name'",
      "not '.' or '..'",
    );
    await refused(
      await testDir('dot', { 'kola.json': '{"tests": {"t.sh": {"name": "."}}}' }),
      "not '.' or '..'",
    );
    await refused(await testDir('ctrl', { 'kola.json': '{"name": "a\\u001b[2Jb"}' }), 'control characters');
  });

  it('refuses durations past 24 hours instead of ending the test after a millisecond', async () => {
    await refused(
      await testDir('long', { 'kola.json': '{"timeout": "9999999h"}' }),
      "timeout: '9999999h' is longer than the maximum of 24h",
    );
    await refused(
      await testDir('long-min', { 'kola.json': '{"timeoutMin": 99999999}' }),
      'timeoutMin 99999999',
      'longer than the maximum of 24h',
    );
  });

  it('refuses links and paths that lead out of the test directory', async () => {
    await refused(
      await testDir('data-out', { data: { link: decoy } }),
      'data leads to',
      'is outside the test directory',
    );
    await refused(
      await testDir('config-out', { 'config.bu': { link: join(decoy, 'sub/config.bu') } }),
      'config.bu leads to',
    );
    await refused(await testDir('sub-out', { more: { link: join(decoy, 'sub') } }), 'more leads to');
    await refused(
      await testDir('checks-out', { 'kola.json': '{"checks": "../decoy/checks.yaml"}' }),
      "field 'checks'",
      'is outside the test directory',
    );
  });

  it('keeps links that stay inside the test directory', async () => {
    const dir = await testDir('inside', { 'alias.sh': { link: 't.sh' }, 'kola.yaml': 'tags: [x]\n' });
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data/file'), 'data\n');
    await symlink('file', join(dir, 'data/link'));
    const r = await kola(['list', '-E', dir, '--json'], { cwd, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ext.inside.t.sh');
    expect(r.stdout).toContain('ext.inside.alias.sh');
  });
});
