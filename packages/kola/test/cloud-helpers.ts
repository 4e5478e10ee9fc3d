// Helpers of kola's cloud platform tests (not a test file itself): the machine behind each
// instance of a local cloud API server (test-utils' fake-aws, fake-gce) is a real qemu VM of a
// qemu flight of the test process, booted with the user data the API received; its forwarded SSH
// port is reported in a tag/label the test names (kola reads it with KOLA_SSH_PORT_TAG). All the
// VMs are machines of ONE qemu cluster, so they share its private LAN (the qemu platform's
// lan-switch) as a cloud's instances share their VPC: the private IP the API reports is the VM's
// LAN address, which the other instances reach.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
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

/** A fake cloud API as a test file's teardown sees it. */
interface ClosableFake {
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** A cloud test file's afterAll: wait for the fake's backend work, stop everything, no qemu left. */
export async function closeCloudTest(
  root: string,
  fake: ClosableFake | undefined,
  qemu: QemuBackend | undefined,
): Promise<void> {
  await fake?.settle();
  await fake?.close();
  await qemu?.close();
  const { qemuPidsWith } = await import('./qemu-helpers.js');
  if ((await qemuPidsWith(root)).length > 0) throw new Error(`qemu processes of ${root} are left`);
  await rm(root, { recursive: true, force: true });
}

/** The console.txt kola saved for the (only) machine of `test` in the output dir `out`. */
export async function machineConsole(root: string, out: string, test: string): Promise<string> {
  const dir = (await readdir(join(root, out, test), { withFileTypes: true })).find((d) => d.isDirectory());
  return readFile(join(root, out, test, dir?.name ?? '', 'console.txt'), 'utf8');
}

/**
 * Start `kola run ARGS slow.sleep` (the test module writeSlowTest wrote in `root`) and wait until
 * `up()` says its machine runs; `runFile()` then names the run's new state file.
 */
export async function startSlowRun(
  root: string,
  env: NodeJS.ProcessEnv,
  args: string[],
  o: { out: string; what: string; up: () => boolean },
): Promise<ReturnType<typeof spawnKola> & { runFile: () => Promise<string> }> {
  const before = await runFiles(root);
  const k = spawnKola(root, env, ['run', ...args, 'slow.sleep', '--tests-dir', '.', '--output-dir', o.out]);
  await until(o.what, o.up);
  return {
    ...k,
    runFile: async () => (await runFiles(root)).find((f) => !before.includes(f)) ?? '',
  };
}

/** What one finished `kola run` of a cloud test left: its report and its state file's lines. */
export interface FinishedRun {
  code: number | null;
  stderr: string;
  report: Awaited<ReturnType<typeof readReport>> | undefined;
  header: { runId: string; platform: string; scope: Record<string, string> };
  /** the state file's lines as `type [kind]` */
  steps: string[];
}

/** `kola run ARGS --output-dir OUT` to its end; its report (if written) and its run's state file. */
export async function runToEnd(
  root: string,
  env: NodeJS.ProcessEnv,
  args: string[],
  out: string,
): Promise<FinishedRun> {
  const { kola } = await import('@mantle/test-utils/systemd-image');
  const before = await runFiles(root);
  const r = await kola(['run', ...args, '--output-dir', out], { cwd: root, env, timeoutMs: 900_000 });
  const report = await readReport(root, out).catch(() => undefined);
  const file = (await runFiles(root)).find((f) => !before.includes(f)) ?? '';
  const lines = file ? await journalLines(root, file) : [];
  return {
    code: r.code,
    stderr: r.stderr,
    report,
    header: lines[0] as unknown as FinishedRun['header'],
    steps: lines.map((l) => [l.type, l.kind].filter((x) => typeof x === 'string').join(' ')),
  };
}
