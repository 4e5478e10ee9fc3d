// `kola spawn` through the built bin against a real qemu machine (the tiny image, one boot):
// with no image given kola boots the cached tiny image; --detach leaves it running in a background kola, -c says how many machines (mantle's
// --nodecount), the printed ssh line reaches it, and --stop destroys it and ends the background
// process (no qemu left over).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyImage, qemuPidsWith } from './qemu-helpers.js';

const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function run(
  cmd: string,
  args: string[],
  timeout = 240_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let dir: string;
let out: string;
let pid: number | undefined;
beforeAll(async () => {
  await ensureTinyImage();
  dir = await mkdtemp(join(tmpdir(), 'kola-spawn-'));
  out = join(dir, 'spawned');
});
afterAll(async () => {
  // Only if the test failed half-way: stop the background spawn we started, by its pid.
  if (pid !== undefined && alive(pid)) await run(process.execPath, [bin, 'spawn', '--stop', out]);
  await rm(dir, { recursive: true, force: true });
});

describe('kola spawn on qemu (built bin)', () => {
  it('--detach -c 1 leaves a machine that answers over ssh; --stop destroys it', async () => {
    const up = await run(process.execPath, [
      bin,
      'spawn',
      '-p',
      'qemu',
      '-c',
      '1',
      '--detach',
      '--output-dir',
      out,
    ]);
    expect(up.stderr + up.stdout).not.toMatch(/error:/);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`kola spawn --stop ${out}`);
    const state = JSON.parse(await readFile(join(out, 'spawn-state.json'), 'utf8')) as {
      pid: number;
      machines: { ssh: string; outputDir: string }[];
    };
    pid = state.pid;
    expect(state.machines).toHaveLength(1);
    expect(alive(state.pid)).toBe(true);
    expect(await qemuPidsWith(out)).toHaveLength(1);

    // The printed ssh line logs in (its words are an argument array, no shell).
    const [ssh, ...args] = (state.machines[0]?.ssh ?? '').split(' ');
    const probe = await run(
      ssh ?? 'ssh',
      [...args.slice(0, -1), '-o', 'BatchMode=yes', args.at(-1) ?? '', 'cat /usr/lib/os-release'],
      60_000,
    );
    expect(probe.stdout).toContain('ID=mantle-tiny');

    const stop = await run(process.execPath, [bin, 'spawn', '--stop', out]);
    expect(stop.code).toBe(0);
    expect(alive(state.pid)).toBe(false);
    expect(await qemuPidsWith(out)).toEqual([]);
  });
});
