// Interrupting kola while a machine boots must leave no qemu process and no temp dir behind.
// A separate node process (fixtures/qemu-child.ts, bundled here) plays kola: runMain with its
// SIGINT handling around createQemuFlight → newCluster → newMachine.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { bundleForNode, ensureTinyImage, qemuPidsWith } from './qemu-helpers.js';

let root: string;
let script: string;

beforeAll(async () => {
  await ensureTinyImage();
  root = await mkdtemp(join(tmpdir(), 'kola-qemu-orphans-'));
  script = join(root, 'qemu-child.mjs');
  await bundleForNode(fileURLToPath(new URL('./fixtures/qemu-child.ts', import.meta.url)), script);
}, 900_000);

afterAll(async () => {
  for (const pid of await qemuPidsWith(root)) process.kill(pid, 'SIGKILL');
  await rm(root, { recursive: true, force: true });
});

interface Child {
  proc: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

// Start the child with TMPDIR inside a dir unique to this case, so its qemu command lines and
// temp dirs are recognisable.
async function startChild(name: string): Promise<{ child: Child; dir: string; tmp: string }> {
  const dir = join(root, name);
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  const proc = spawn(process.execPath, [script, join(dir, 'out')], {
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) =>
    proc.once('exit', (code, sig) => r(code ?? (sig ? 128 : null))),
  );
  return { child: { proc, stderr: () => err, exited }, dir, tmp };
}

async function until(what: string, cond: () => Promise<boolean>, ms: number, child: Child): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; child stderr:\n${child.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('SIGINT during boot: the child exits 130, no qemu survives, temp dirs are removed', async () => {
  const { child, dir, tmp } = await startChild('sigint');
  await until('qemu to start', async () => (await qemuPidsWith(dir)).length > 0, 60_000, child);
  // mid-boot: qemu runs, SSH is not up yet
  await new Promise((r) => setTimeout(r, 1000));
  expect(child.stderr()).not.toContain('CHILD: booted');
  child.proc.kill('SIGINT');
  const code = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r('hung'), 20_000))]);
  expect(code, child.stderr()).toBe(130);
  expect(await qemuPidsWith(dir)).toEqual([]);
  expect(await readdir(tmp)).toEqual([]);
});

test('SIGKILL during boot: the kernel kills qemu with its parent (setpriv --pdeathsig)', async () => {
  const { child, dir } = await startChild('sigkill');
  await until('qemu to start', async () => (await qemuPidsWith(dir)).length > 0, 60_000, child);
  child.proc.kill('SIGKILL');
  await child.exited;
  // the death signal is delivered at once; give the kernel a moment to reap
  await until('qemu to die', async () => (await qemuPidsWith(dir)).length === 0, 5000, child);
  // No cleanup ran (SIGKILL cannot be caught): the temp dirs stay; afterAll removes them.
});
