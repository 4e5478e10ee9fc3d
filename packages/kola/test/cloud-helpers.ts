// Helpers of kola's cloud platform tests (not a test file itself): the machine behind each
// instance of a local cloud API server (test-utils' fake-aws, fake-gce) is a real qemu VM of a
// qemu flight of the test process, booted with the user data the API received; its forwarded SSH
// port is reported in a tag/label the test names (kola reads it with KOLA_SSH_PORT_TAG). All the
// VMs are machines of ONE qemu cluster, so they share its private LAN (the qemu platform's
// lan-switch) as a cloud's instances share their VPC: the private IP the API reports is the VM's
// LAN address, which the other instances reach.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@mantle/core/log';
import { kolaBin } from '@mantle/test-utils/systemd-image';
import type { FakeMachineBackend } from '@mantle/test-utils/fake-machines';
import { createQemuFlight } from '../src/platform/qemu/index.js';
import type { Cluster, Flight, Machine } from '../src/platform/types.js';

export interface QemuBackend {
  backend: FakeMachineBackend;
  /** the VMs that run now, by instance id */
  running(): string[];
  /** destroy every VM left */
  close(): Promise<void>;
}

/** A fake cloud backend booting one qemu VM per instance under `root`/vms. */
export async function qemuBackend(o: {
  root: string;
  logger: Logger;
  portTag: string;
}): Promise<QemuBackend> {
  await mkdir(join(o.root, 'tmp'), { recursive: true });
  const qemu: Flight = await createQemuFlight({
    outputDir: join(o.root, 'vms'),
    tmpDir: join(o.root, 'tmp'),
    logger: o.logger,
    accel: 'auto',
  });
  const vpc: Promise<Cluster> = qemu.newCluster({ name: 'vpc', outputDir: join(o.root, 'vms') });
  const vms = new Map<string, { machine: Promise<Machine>; up?: Machine }>();
  const backend: FakeMachineBackend = {
    start: async (inst) => {
      const entry: { machine: Promise<Machine>; up?: Machine } = {
        machine: vpc.then((c) => c.newMachine(inst.userData)),
      };
      vms.set(inst.id, entry);
      const m = await entry.machine;
      entry.up = m;
      if (!m.privateIp) throw new Error(`VM of ${inst.id} has no LAN address`);
      return { publicIp: '127.0.0.1', privateIp: m.privateIp, tags: { [o.portTag]: String(m.sshPort) } };
    },
    // a VM still booting has no console to give yet (EC2's lags behind too)
    console: async (inst) => (await vms.get(inst.id)?.up?.consoleOutput()) ?? '',
    stop: async (inst) => {
      const m = await vms.get(inst.id)?.machine.catch(() => undefined);
      await m?.destroy();
      vms.delete(inst.id);
    },
  };
  return { backend, running: () => [...vms.keys()], close: () => qemu.destroy() };
}

/** Wait until `ok()` (polling every 250 ms), else fail naming `what`. */
export async function until(what: string, ok: () => boolean, timeoutMs = 300_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The run state files under `root`/state (KOLA_STATE_DIR), sorted. */
export async function runFiles(root: string): Promise<string[]> {
  const dir = join(root, 'state', 'runs');
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.jsonl')).sort();
}

/** The lines of one run state file. */
export async function journalLines(root: string, name: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(root, 'state', 'runs', name), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The built kola bin as a child the test can signal. */
export function spawnKola(
  cwd: string,
  env: NodeJS.ProcessEnv,
  args: string[],
): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [kolaBin, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stderr })),
  );
  return { child, done };
}

/** The report.json of a run's output directory `out` under `root`. */
export async function readReport(
  root: string,
  out: string,
): Promise<{ result: string; platform: string; tests: { name: string; result: string }[] }> {
  return JSON.parse(await readFile(join(root, out, 'reports', 'report.json'), 'utf8')) as {
    result: string;
    platform: string;
    tests: { name: string; result: string }[];
  };
}

/** A test module (`slow.sleep`) that keeps its machine busy, so a signal surely lands while an instance exists. */
export async function writeSlowTest(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'slow.mjs'),
    `export function register(registry, kola) {
       registry.register(kola.defineTest({ name: 'slow.sleep', distros: ['cl', 'tiny'], run: async (c) => {
         await c.mustSsh(c.machines[0], 'sleep 600');
       } }));
     }
`,
  );
}
