// kola run's kolet prerequisite through the built bin: a selected test that needs kolet (native
// functions, checks) and no kolet executable is exit 3 with how to build it — before any machine
// boots, so no qemu is left and the output has no machine directories.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qemuPidsWith } from './qemu-helpers.js';
import { kola, kolaBin } from '@mantle/test-utils/systemd-image';
import { existsSync } from 'node:fs';

let cwd: string;

beforeAll(async () => {
  if (!existsSync(kolaBin)) throw new Error(`${kolaBin} is missing: run pnpm build`);
  cwd = await mkdtemp(join(tmpdir(), 'kola-native-'));
  await mkdir(join(cwd, 'mods'));
  await writeFile(
    join(cwd, 'mods', 'native.mjs'),
    `export function register(registry, kola) {
       registry.register(kola.defineTest({ name: 'mod.native', nativeFuncs: { hello: () => 'hi' }, run: async (c) => { await c.runNative('hello', c.machines[0]); } }));
       registry.register(kola.defineTest({ name: 'mod.checks', checks: 'file:\\n  /etc/hostname: { exists: true }\\n' }));
     }
`,
  );
});
afterAll(async () => {
  expect(await qemuPidsWith(cwd)).toEqual([]);
  await rm(cwd, { recursive: true, force: true });
});

describe('kola run without kolet', () => {
  it('KOLET_EXECUTABLE pointing at a missing file → exit 3 naming it, nothing booted', async () => {
    const missing = join(cwd, 'no-such-kolet');
    const env = { ...process.env, KOLET_EXECUTABLE: missing };
    const r = await kola(['run', 'mod.*', '--tests-dir', 'mods', '--output-dir', 'out'], {
      cwd,
      env,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(
      `kolet executable missing: $KOLET_EXECUTABLE is ${missing}, which does not exist`,
    );
    expect(r.stderr).toContain('pnpm --filter @mantle/kola build');
    expect(r.stderr).not.toContain('=== RUN');
    expect(existsSync(join(cwd, 'out'))).toBe(false);
    expect(await readdir(cwd)).toEqual(['mods']);
  });
});
