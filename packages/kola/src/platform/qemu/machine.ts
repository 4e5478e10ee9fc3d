import { randomBytes } from 'node:crypto';
import { appendFile, copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InterruptedError, MantleError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { onCleanup } from '@mantle/core/cli';
import {
  SshErrorCode,
  connectWithRetry,
  shellQuote,
  shellQuoteWord,
  type SshClient,
  type SshExecOptions,
} from '@mantle/core/ssh';
import type { ExecResult, Machine, MachineExecOptions, MachineTimings } from '../types.js';
import type { Accel } from './accel.js';
import { consoleTail, fileSize, waitForSsh, type WaitOutcome } from './boot-wait.js';
import { describeExit, spawnGuarded, trackTempDir, type ChildHandle } from './child.js';
import { copyUefiVars, type UefiFirmware } from './firmware.js';
import { createOverlay, type BootSource } from './image.js';
import { machineIgnition } from './kola-ignition.js';
import type { LanSwitch } from './lan-switch.js';
import type { ResolvedQemuOptions } from './options.js';
import { freeTcpPort, freeUdpPort, isPortClash } from './ports.js';
import { buildQemuArgs, randomMac, type QemuMachineSpec } from './qemu-args.js';
import { connectIdentityChannel, type IdentityChannel } from './identity-channel.js';
import { connectQmp, type QmpClient } from './qmp.js';
import { reidentify } from './reidentify.js';
import type { MachineSnapshot } from './snapshot-files.js';
import { startSwtpm, type Swtpm } from './swtpm.js';

/** What every machine of a flight shares (made once by the flight). */
export interface FlightContext {
  /** the run's output directory (snapshot templates write their console there) */
  outputDir: string;
  /** a read-only ext4 image holding the kolet executable, attached to every machine */
  koletDisk?: { path: string; sha256: string } | undefined;
  opts: ResolvedQemuOptions;
  logger: Logger;
  qemuBinary: string;
  qemuImg: () => Promise<string>;
  accel: Accel;
  boot: BootSource;
  uefi: UefiFirmware | undefined;
  /** qboot's image when kernels boot through it instead of SeaBIOS (see findQboot) */
  qboot?: string | undefined;
  /** the flight's private key (0600) and the authorized_keys lines machines accept */
  privateKeyPath: string;
  publicKeys: readonly string[];
  /** the flight's temp dir; machines make theirs inside */
  tmpDir: string;
}

/** What the machines of one cluster share. */
export interface ClusterContext {
  name: string;
  outputDir: string;
  lan: LanSwitch | undefined;
  /** the next free host number on the LAN */
  nextLanHost: () => number;
  signal: AbortSignal | undefined;
}

/** The private LAN inside the VMs; it never leaves kola's UDP switch. */
const LAN_PREFIX = '192.168.77';
const LAN_PREFIX_LENGTH = 24;

const PORT_CLASH_RETRIES = 3;
const DEFAULT_USER = 'core';
/** The serial of the read-only disk that carries kolet (see KoletAgent). */
const KOLET_DISK_SERIAL = 'kolet';

/** How a template becomes a snapshot: where its disk overlay and RAM file go. */
export interface TemplateOptions {
  /** the snapshot directory: disk.qcow2 lives there after the template quits */
  dir: string;
  /** the template's RAM file (memory-backend-file, shared), kept after it quits */
  ramPath: string;
}

/** One qemu virtual machine (see Machine for the contract). */
export class QemuMachine implements Machine {
  readonly id: string;
  readonly ip = '127.0.0.1';
  readonly outputDir: string;
  private port = 0;
  private lanIp: string | undefined;

  private readonly flight: FlightContext;
  private readonly cluster: ClusterContext;
  private readonly log: Logger;
  private readonly tmp: string;
  private readonly consolePath: string;
  private qemu: ChildHandle | undefined;
  private swtpm: Swtpm | undefined;
  private lanPort: number | undefined;
  private spec: QemuMachineSpec | undefined;
  private readiness: 'marker' | 'systemd' | 'none' | undefined;
  private readonly clients = new Map<string, Promise<SshClient>>();
  private destroying: Promise<void> | undefined;
  private unregisterCleanup: () => void = () => undefined;
  private untrackTmp: () => void = () => undefined;
  private readonly onDestroyed: ((m: QemuMachine) => void) | undefined;
  private installFallback = false;
  private rootViaSudo = false;
  private template: TemplateOptions | undefined;
  /** the machine's QMP connection, open from qemu's start to its end (state, guest events) */
  private qmp: QmpClient | undefined;
  /** kola's identity channel (templates and restored machines; see identity-channel.ts) */
  private identity: IdentityChannel | undefined;
  /** the host key the first login saw (a template's: its copies present it until reidentified) */
  private firstHostKey: string | undefined;
  /** guest resets qemu reported (QMP RESET events): a reboot is seen here, not over SSH */
  private resets = 0;
  private readonly resetWaiters = new Set<() => void>();
  private bootTimings: MachineTimings = { restored: false, qemuToSshMs: 0, loginMs: 0, readyMs: 0 };
  /** the flight's and the cluster's abort signals (Ctrl-C, test timeout) in one */
  private readonly signal: AbortSignal | undefined;

  constructor(flight: FlightContext, cluster: ClusterContext, onDestroyed?: (m: QemuMachine) => void) {
    this.id = `qemu-${randomBytes(6).toString('hex')}`;
    this.flight = flight;
    this.cluster = cluster;
    this.log = flight.logger.child(this.id);
    this.outputDir = join(cluster.outputDir, this.id);
    this.tmp = join(flight.tmpDir, this.id);
    this.consolePath = join(this.outputDir, 'console.txt');
    this.onDestroyed = onDestroyed;
    const signals = [flight.opts.signal, cluster.signal].filter((s): s is AbortSignal => s !== undefined);
    this.signal = signals.length <= 1 ? signals[0] : AbortSignal.any(signals);
  }

  get sshPort(): number {
    return this.port;
  }

  get privateIp(): string | undefined {
    return this.lanIp;
  }

  get timings(): MachineTimings {
    return { ...this.bootTimings };
  }

  get koletDevice(): { serial: string; sha256: string } | undefined {
    const d = this.flight.koletDisk;
    return d ? { serial: KOLET_DISK_SERIAL, sha256: d.sha256 } : undefined;
  }

  /** The spec and files of a booted template, for the snapshot made from it. */
  get templateSpec(): {
    spec: QemuMachineSpec;
    consolePath: string;
    readiness: string | undefined;
    identityChannel: boolean;
    hostKey: string | undefined;
  } {
    if (!this.spec) throw new Error(`machine ${this.id} has not booted`);
    return {
      spec: { ...this.spec },
      consolePath: this.consolePath,
      readiness: this.readiness,
      identityChannel: this.identity?.hello === true,
      hostKey: this.firstHostKey,
    };
  }

  // Registered first, so an interrupt at any later point still tears everything down.
  private async setUp(): Promise<void> {
    this.unregisterCleanup = onCleanup(() => this.destroy(), `qemu machine ${this.id}`);
    this.untrackTmp = trackTempDir(this.tmp);
    await mkdir(this.outputDir, { recursive: true });
    await mkdir(this.tmp, { recursive: true, mode: 0o700 });
  }

  /**
   * Boot a snapshot template: an ordinary boot, but its RAM is a shared file and its disk overlay
   * lives in the snapshot directory, so saveSnapshot() can leave both behind.
   */
  async bootTemplate(
    userData: string | undefined,
    opts: { ignition?: string; memoryMiB?: number },
    template: TemplateOptions,
  ): Promise<void> {
    this.template = template;
    await this.boot(userData, opts);
  }

  /** Prepare files, start qemu, wait for SSH and readiness; on failure call destroy(). */
  async boot(userData: string | undefined, opts: { ignition?: string; memoryMiB?: number }): Promise<void> {
    const { flight, cluster } = this;
    const o = flight.opts;
    await this.setUp();

    const lan = cluster.lan
      ? {
          mac: randomMac(),
          address: `${LAN_PREFIX}.${cluster.nextLanHost()}`,
          prefixLength: LAN_PREFIX_LENGTH,
        }
      : undefined;
    this.lanIp = lan?.address;
    // opts.ignition is already rendered by the caller; kola's keys and LAN file still go in,
    // or the machine would be unreachable.
    const ignition = machineIgnition(opts.ignition ?? userData, {
      publicKeys: flight.publicKeys,
      ...(lan ? { lan } : {}),
    });
    for (const w of ignition.warnings) this.log.warn(`user data: ${w}`);
    const ignitionPath = join(this.outputDir, 'ignition.json');
    await writeFile(ignitionPath, ignition.json, { mode: 0o600 });

    const spec: QemuMachineSpec = {
      arch: o.arch,
      accel: flight.accel,
      memoryMiB: opts.memoryMiB ?? o.memoryMiB,
      cpus: o.cpus,
      ...(o.cpuModel ? { cpuModel: o.cpuModel } : {}),
      ignitionPath,
      consolePath: this.consolePath,
      pidfile: join(this.tmp, 'qemu.pid'),
      sshPort: 0,
      userMac: randomMac(),
    };
    const boot = flight.boot;
    if (boot.kernel) {
      spec.kernel = boot.kernel;
      if (boot.initrd) spec.initrd = boot.initrd;
      if (boot.append) spec.append = boot.append;
      if (flight.qboot) spec.bios = flight.qboot;
    }
    if (boot.disk) {
      spec.disk = join(this.template?.dir ?? this.tmp, 'disk.qcow2');
      await createOverlay(await flight.qemuImg(), boot.disk, spec.disk, this.log);
    }
    if (flight.koletDisk) spec.readOnlyDisks = [{ path: flight.koletDisk.path, serial: KOLET_DISK_SERIAL }];
    // Every machine: QMP tells kola of guest resets (reboot) without asking the guest.
    spec.qmpSocket = join(this.tmp, 'qmp.sock');
    if (this.template) {
      spec.memoryFile = { path: this.template.ramPath, shared: true };
      spec.snapshotTemplate = true;
      spec.identitySocket = join(this.tmp, 'identity.sock');
    }
    if (flight.uefi) {
      const vars = join(this.tmp, 'uefi-vars.fd');
      await copyUefiVars(flight.uefi, vars);
      spec.uefi = { code: flight.uefi.code, vars, secureBoot: flight.uefi.secureBoot };
    }
    if (o.tpm) {
      this.swtpm = await startSwtpm(join(this.tmp, 'swtpm'), this.log);
      spec.tpmSocket = this.swtpm.socket;
    }
    if (lan && cluster.lan) spec.lan = { mac: lan.mac, localPort: 0, switchPort: cluster.lan.port };
    this.spec = spec;

    const started = Date.now();
    const deadline = started + o.sshRetries * o.sshTimeoutSec * 1000;
    const via = await this.startQemuAndWait(deadline);
    const sshUp = Date.now();
    this.firstHostKey = (await this.client(DEFAULT_USER)).hostKey;
    const connected = Date.now();
    await this.checkReady(deadline);
    this.preconnectRoot();
    this.bootTimings = {
      restored: false,
      qemuToSshMs: sshUp - started,
      loginMs: connected - sshUp,
      readyMs: Date.now() - connected,
    };
    this.log.debug(
      `boot phases: sshd up (${via}) ${sshUp - started} ms, login ${connected - sshUp} ms, readiness ${Date.now() - connected} ms`,
    );
    this.log.debug(
      `ready after ${((Date.now() - started) / 1000).toFixed(1)} s (ssh port ${this.port}${this.lanIp ? `, lan ${this.lanIp}` : ''})`,
    );
  }

  /**
   * Start as a copy of a snapshot: the template's RAM file mapped copy-on-write, its device state
   * loaded over QMP (`migrate-incoming`), a new overlay over its frozen disk, a new SSH port (the
   * guest side of the forward is unchanged), then a fresh identity (see reidentify).
   */
  async restore(snapshot: MachineSnapshot, snapshotWaitMs = 0): Promise<void> {
    const { flight } = this;
    const o = flight.opts;
    await this.setUp();
    // The template's console first, so the boot is in every machine's console.txt.
    await copyFile(snapshot.consolePath, this.consolePath);
    await appendFile(this.consolePath, `\n--- kola: ${this.id} restored from snapshot ${snapshot.key} ---\n`);
    await copyFile(snapshot.ignitionPath, join(this.outputDir, 'ignition.json'));
    const spec: QemuMachineSpec = {
      ...snapshot.spec,
      consolePath: this.consolePath,
      consoleAppend: true,
      pidfile: join(this.tmp, 'qemu.pid'),
      sshPort: 0,
      qmpSocket: join(this.tmp, 'qmp.sock'),
      memoryFile: { path: snapshot.ramPath, shared: false },
      snapshotTemplate: false,
      incoming: true,
    };
    // the same devices as the template's, the channel's host end a socket of this machine's
    if (snapshot.spec.identitySocket) spec.identitySocket = join(this.tmp, 'identity.sock');
    if (snapshot.diskPath) {
      spec.disk = join(this.tmp, 'disk.qcow2');
      // the template's overlay is qcow2 whatever the image's format
      await createOverlay(
        await flight.qemuImg(),
        { path: snapshot.diskPath, format: 'qcow2', virtualSize: 0 },
        spec.disk,
        this.log,
      );
    }
    this.spec = spec;
    this.readiness = snapshot.readiness as typeof this.readiness;

    const started = Date.now();
    const deadline = started + o.sshRetries * o.sshTimeoutSec * 1000;
    let running = 0;
    await this.startQemuAndWait(deadline, async (qmp) => {
      await qmp.execute('migrate-set-capabilities', {
        capabilities: [{ capability: 'x-ignore-shared', state: true }],
      });
      await qmp.execute('migrate-incoming', { uri: `exec:cat ${shellQuoteWord(snapshot.statePath)}` });
      // Connect only once the guest runs: a SYN forwarded while it is still being loaded is
      // dropped, and qemu's user network retransmits it only seconds later.
      for (;;) {
        this.throwIfAborted();
        const st = await qmp.execute<{ status?: string }>('query-status');
        if (st.status === 'running') break;
        if (st.status !== 'inmigrate' && st.status !== 'prelaunch')
          throw new OperationError({
            code: 'QEMU_RESTORE_FAILED',
            message: `machine ${this.id}: restoring snapshot ${snapshot.key} left qemu ${st.status ?? 'in an unknown state'}`,
            hint: 'run with --no-snapshot to boot every machine',
          });
        await new Promise((res) => setTimeout(res, 10));
      }
      running = Date.now();
    });
    if (snapshot.identityChannel && this.identity) {
      try {
        await this.reidentifyThroughChannel(this.identity, snapshot, started, running, snapshotWaitMs);
        return;
      } catch (err) {
        this.throwIfAborted();
        // (the script is safe to run twice: it installs the same kind of identity again)
        const why = err instanceof MantleError ? err.message : String(err);
        this.log.warn(
          `giving ${this.id} its identity through the channel failed (${why}); doing it over SSH`,
        );
        this.identity?.close();
        this.identity = undefined;
      }
    }
    // The first login is the identity change's own (the template proved the machine ready).
    // As root through sudo on a systemd image: a root SSH login would start root's systemd user
    // manager (seconds under TCG) that only a test which logs in as root needs. The default
    // user's login (the test's first command needs it) is made meanwhile, not after: its key
    // exchange overlaps the root one's and the identity script. (The host key it sees may be the
    // template's; kola never pins host keys of its throwaway machines.)
    const login = this.client(DEFAULT_USER);
    login.catch(() => undefined);
    // sshd answering: the first of the two logins through (the root one, or the default user's)
    let sshUp = 0;
    const answered = (): void => {
      sshUp ||= Date.now();
    };
    void login.then(answered, () => undefined);
    const renamed = reidentify(
      {
        id: this.id,
        asRoot: (command, opts) =>
          this.readiness === 'systemd'
            ? this.ssh(shellQuote(['sudo', '-n', 'sh', '-c', command]), opts)
            : this.ssh(command, { ...opts, user: 'root' }),
        hostKey: async () => {
          const c = this.readiness === 'systemd' ? await this.client(DEFAULT_USER) : await this.rootClient();
          answered();
          return c?.hostKey;
        },
      },
      { log: this.log, timeoutMs: o.sshTimeoutSec * 1000 * 3 },
    );
    await Promise.all([renamed, login]);
    this.recordRestored(started, sshUp, snapshotWaitMs);
    this.log.debug(
      `restored from ${snapshot.key}: guest running ${running - started} ms, sshd up ${sshUp - started} ms, login and new identity ${Date.now() - sshUp} ms`,
    );
  }

  /** A restored machine's timings: its login is part of readyMs (it was not probed first). */
  private recordRestored(started: number, sshUp: number, snapshotWaitMs: number): void {
    this.bootTimings = {
      restored: true,
      qemuToSshMs: sshUp - started,
      loginMs: 0,
      readyMs: Date.now() - sshUp,
      snapshotWaitMs,
    };
  }

  /**
   * The new identity through kola's identity channel (see identity-channel.ts), beside the
   * default user's login, the only one the machine's start needs (root's is opened in the
   * background, as after a boot).
   */
  private async reidentifyThroughChannel(
    identity: IdentityChannel,
    snapshot: MachineSnapshot,
    started: number,
    running: number,
    snapshotWaitMs: number,
  ): Promise<void> {
    const o = this.flight.opts;
    // The login and the script at once: the script waits (in the guest) for the login's
    // session before it restarts the SSH server, and the session outlives the old listener;
    // the guest's one vCPU runs the script while the host side of the key exchange goes on.
    const login = this.client(DEFAULT_USER);
    login.catch(() => undefined);
    let sshUp = 0;
    void login.then(
      () => (sshUp = Date.now()),
      () => undefined,
    );
    await reidentify(
      {
        id: this.id,
        asRoot: (command, opts) =>
          identity.run(command, { ...opts, ...(this.signal ? { signal: this.signal } : {}) }),
        hostKey: () => Promise.resolve(snapshot.hostKey),
      },
      // returns once sshd/dropbear listens again with the new key (ssh-keyscan, root's login)
      { log: this.log, timeoutMs: o.sshTimeoutSec * 1000 * 3, waitListening: true, waitForSession: true },
    );
    const renamed = Date.now();
    // the agent exits once its port is closed: its work for this boot is done
    identity.close();
    this.identity = undefined;
    await login;
    this.preconnectRoot();
    this.recordRestored(started, sshUp, snapshotWaitMs);
    this.log.debug(
      `restored from ${snapshot.key}: guest running ${running - started} ms, login ${sshUp - started} ms, new identity (channel) ${renamed - running} ms`,
    );
  }

  /**
   * Save a booted template's state into its snapshot directory and stop it: SSH sessions
   * closed (a TCP connection cannot survive into a copy), the guest paused, the device state
   * written by `migrate` to `state` (the RAM stays in the shared file: x-ignore-shared), qemu
   * told to quit, which flushes the disk overlay. Written to a temp name and renamed, so an
   * interrupted save leaves no state file that looks complete.
   */
  async saveSnapshot(statePath: string): Promise<void> {
    const qmp = this.qmp;
    if (!this.template || !qmp || !this.qemu)
      throw new Error(`machine ${this.id} is not a running snapshot template`);
    await this.closeClients();
    const partial = `${statePath}.partial`;
    try {
      await qmp.execute('migrate-set-capabilities', {
        capabilities: [{ capability: 'x-ignore-shared', state: true }],
      });
      await qmp.execute('stop');
      await qmp.execute('migrate', { uri: `exec:cat > ${shellQuoteWord(partial)}` });
      for (;;) {
        this.throwIfAborted();
        const r = await qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
        if (r.status === 'completed') break;
        if (r.status === 'failed' || r.status === 'cancelled')
          throw new OperationError({
            code: 'QEMU_SNAPSHOT_FAILED',
            message: `saving the state of ${this.id} failed: ${r['error-desc'] ?? r.status}`,
            hint: 'run with --no-snapshot to boot every machine',
          });
        await new Promise((res) => setTimeout(res, 20));
      }
      await qmp.execute('quit').catch(() => undefined);
    } finally {
      qmp.close();
      this.qmp = undefined;
    }
    await this.qemu.exited;
    // open until qemu is gone: a template whose guest saw kola's end close would have its
    // agent's read end (EOF) instead of blocking in every copy
    this.identity?.close();
    this.identity = undefined;
    await rename(partial, statePath);
  }

  // Start qemu on fresh ports, retrying when another process took a port between our check
  // and qemu's bind; then wait for SSH (or the console marker). A restored machine's sshd
  // listens the moment the guest runs (afterSpawn waits for that): no banner probe, the SSH
  // login itself is the first connection (a probe costs the cold guest a whole accept and
  // fork of its sshd, and a round trip, before the login can start).
  private async startQemuAndWait(
    deadline: number,
    afterSpawn?: (qmp: QmpClient) => Promise<void>,
  ): Promise<'banner' | 'marker' | 'running'> {
    const spec = this.spec!;
    for (let attempt = 1; ; attempt++) {
      this.throwIfAborted();
      spec.sshPort = await freeTcpPort();
      if (spec.lan) {
        if (this.lanPort !== undefined) this.cluster.lan?.removeMember(this.lanPort);
        spec.lan.localPort = await freeUdpPort();
        this.lanPort = spec.lan.localPort;
        this.cluster.lan?.addMember(this.lanPort);
      }
      this.port = spec.sshPort;
      const args = buildQemuArgs(spec);
      this.qemu = await spawnGuarded(this.flight.qemuBinary, args, { cwd: this.tmp, logger: this.log });
      const consoleOffset = spec.consoleAppend ? await fileSize(this.consolePath) : 0;
      let outcome: WaitOutcome;
      try {
        const qmp = await this.connectQmp();
        // Before migrate-incoming (afterSpawn): the template was saved with kola connected, and
        // a copy whose channel had no client when its state loaded would tell the guest the
        // host went away, which ends the agent's read (end of file) instead of the script.
        if (spec.identitySocket) await this.connectIdentity();
        await afterSpawn?.(qmp);
        if (spec.incoming) return 'running';
        outcome = await this.waitForSshOrExit(deadline, consoleOffset);
      } catch (err) {
        // QMP refused or failed: when qemu is gone its own exit and message say why (a bad
        // kernel, a port clash to retry); while it still runs, the error is the answer.
        const info = await Promise.race([
          this.qemu.exited,
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 200)),
        ]);
        if (!info || this.signal?.aborted) throw err;
        outcome = { kind: 'stopped', reason: `qemu exited (${describeExit(info)})` };
      }
      if (outcome.kind === 'ready') return outcome.via;
      const stderr = this.qemu.outputTail(30);
      if (outcome.kind === 'stopped' && isPortClash(stderr) && attempt < PORT_CLASH_RETRIES) {
        this.log.debug(`qemu could not bind its ports (${stderr.split('\n').pop() ?? ''}); retrying`);
        continue;
      }
      throw await this.bootFailure(outcome);
    }
  }

  // One QMP connection for the machine's life (qemu's QMP socket takes one client at a time):
  // RESET events are counted for reboot(); restore and saveSnapshot run their commands on it.
  private async connectQmp(): Promise<QmpClient> {
    this.qmp?.close();
    this.qmp = undefined;
    const qmp = await connectQmp(this.spec!.qmpSocket!, {
      exited: this.qemu!.exited,
      ...(this.signal ? { signal: this.signal } : {}),
    });
    qmp.onEvent((e) => {
      if (e.event !== 'RESET') return;
      this.resets++;
      for (const w of [...this.resetWaiters]) w();
    });
    this.qmp = qmp;
    return qmp;
  }

  // A template asks its guest's agent to say hello (an empty line): its copies use the channel
  // only when it did. A restored machine's agent is already waiting for the script.
  private async connectIdentity(): Promise<void> {
    this.identity?.close();
    this.identity = await connectIdentityChannel(this.spec!.identitySocket!, {
      exited: this.qemu!.exited,
      askHello: this.template !== undefined,
      ...(this.signal ? { signal: this.signal } : {}),
    });
  }

  /** Wait for a guest reset after the first `seen` ones: 'reset', or why there was none. */
  private waitForReset(seen: number, deadline: number): Promise<'reset' | 'timeout' | 'exited'> {
    if (this.resets > seen) return Promise.resolve('reset');
    return new Promise((resolve) => {
      const done = (r: 'reset' | 'timeout' | 'exited'): void => {
        clearTimeout(timer);
        this.resetWaiters.delete(onReset);
        this.signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const onReset = (): void => done('reset');
      // the caller's throwIfAborted() turns this into the interrupt
      const onAbort = (): void => done('timeout');
      const timer = setTimeout(() => done('timeout'), Math.max(0, deadline - Date.now()));
      this.resetWaiters.add(onReset);
      this.signal?.addEventListener('abort', onAbort, { once: true });
      void this.qemu?.exited.then(() => done('exited'));
    });
  }

  private async waitForSshOrExit(
    deadline: number,
    consoleOffset: number,
    probes?: 'fast' | 'off',
  ): Promise<WaitOutcome> {
    const qemu = this.qemu!;
    const marker = this.flight.boot.ready?.marker;
    return waitForSsh({
      port: this.port,
      deadline,
      stop: qemu.exited.then((info) => `qemu exited (${describeExit(info)})`),
      console: { path: this.consolePath, offset: consoleOffset, ...(marker ? { marker } : {}) },
      ...(probes ? { probes } : {}),
      ...(this.signal ? { signal: this.signal } : {}),
    });
  }

  private async bootFailure(outcome: WaitOutcome): Promise<MantleError> {
    if (this.destroying) return new InterruptedError(`machine ${this.id} was destroyed while booting`);
    const tail = await consoleTail(this.consolePath, 30);
    const consolePart = tail
      ? `\nlast console lines (${this.consolePath}):\n${tail}`
      : `\nthe console (${this.consolePath}) is empty`;
    if (outcome.kind === 'panic') {
      return new OperationError({
        code: 'QEMU_KERNEL_PANIC',
        message: `machine ${this.id}: the kernel panicked while booting (${outcome.line})${consolePart}`,
        hint: 'the console shows why; check the kernel command line, initrd and image',
        details: { machine: this.id, console: this.consolePath },
      });
    }
    if (outcome.kind === 'stopped') {
      const stderr = this.qemu?.outputTail(30) ?? '';
      return new OperationError({
        code: 'QEMU_EXITED',
        message: `machine ${this.id}: ${outcome.reason} while booting${stderr ? `\nqemu said:\n${stderr}` : ''}${consolePart}`,
        hint: 'look at the qemu message and the console; check the image, kernel and firmware options',
        details: { machine: this.id, console: this.consolePath },
      });
    }
    const o = this.flight.opts;
    return new OperationError({
      code: 'QEMU_SSH_TIMEOUT',
      message: `machine ${this.id} did not answer SSH on 127.0.0.1:${this.port} within ${o.sshRetries * o.sshTimeoutSec} s${consolePart}`,
      hint: 'the console shows how far it booted; raise --ssh-retries/--ssh-timeout for slow boots (TCG is slow)',
      details: { machine: this.id, console: this.consolePath, sshPort: this.port },
    });
  }

  private throwIfAborted(): void {
    if (this.signal?.aborted) throw new InterruptedError('abort signal');
    if (this.destroying) throw new InterruptedError(`machine ${this.id} was destroyed while booting`);
  }

  private async checkReady(deadline: number): Promise<void> {
    const o = this.flight.opts;
    if (this.readiness === undefined) {
      if (o.readiness !== 'auto') this.readiness = o.readiness;
      else if (this.flight.boot.ready) this.readiness = this.flight.boot.ready.readiness;
      else {
        // Ask the machine: a running systemd (sd_booted's test) gets the systemd checks.
        const r = await this.ssh(
          'if [ -d /run/systemd/system ]; then echo systemd; elif [ -e /run/mantle/ready ]; then echo marker; else echo none; fi',
          { timeoutMs: o.sshTimeoutSec * 1000 },
        );
        const kind = r.stdout.trim();
        this.readiness = kind === 'marker' || kind === 'systemd' ? kind : 'none';
      }
    }
    if (this.readiness === 'none') return;
    if (this.readiness === 'marker') {
      const file = this.flight.boot.ready?.file ?? '/run/mantle/ready';
      for (;;) {
        // The tiny image also records whether its Ignition config applied cleanly.
        const r = await this.ssh(
          `${shellQuote(['test', '-e', file])} || exit 3; cat /run/mantle/ignition.status 2>/dev/null; exit 0`,
          {
            timeoutMs: o.sshTimeoutSec * 1000,
          },
        );
        if (r.exitCode === 0 && r.stdout.startsWith('failed')) {
          throw new OperationError({
            code: 'QEMU_NOT_READY',
            message: `machine ${this.id} booted, but its Ignition config was not fully applied (${r.stdout.trim()})${await this.consoleSuffix()}`,
            hint: "the console's 'ignition: error:' lines say which part of the user data failed",
            details: { machine: this.id },
          });
        }
        if (r.exitCode === 0) return;
        if (Date.now() > deadline) {
          throw new OperationError({
            code: 'QEMU_NOT_READY',
            message: `machine ${this.id} answers SSH but never created its ready marker ${file}${await this.consoleSuffix()}`,
            hint: 'the image did not finish booting; look at the console',
          });
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const remaining = Math.max(5000, deadline - Date.now());
    const state = await this.ssh('systemctl is-system-running --wait', { timeoutMs: remaining });
    const failed = await this.ssh('systemctl --failed --no-legend --plain', {
      timeoutMs: o.sshTimeoutSec * 1000,
    });
    const status = state.stdout.trim();
    if (status !== 'running' || failed.stdout.trim() !== '') {
      throw new OperationError({
        code: 'QEMU_NOT_READY',
        message: `machine ${this.id} booted into state '${status || 'unknown'}'${failed.stdout.trim() ? `; failed units:\n${failed.stdout.trim()}` : ''}`,
        hint: 'look at the failed units in journal.txt and the console',
        details: {
          machine: this.id,
          state: status,
          failedUnits: failed.stdout.trim().split('\n').filter(Boolean),
        },
      });
    }
  }

  private async consoleSuffix(): Promise<string> {
    const tail = await consoleTail(this.consolePath, 30);
    return tail ? `\nlast console lines (${this.consolePath}):\n${tail}` : '';
  }

  // One reused connection per user; reconnects when the previous one dropped (e.g. reboot).
  private client(user: string): Promise<SshClient> {
    if (this.destroying) {
      return Promise.reject(
        new OperationError({
          code: 'QEMU_MACHINE_DESTROYED',
          message: `machine ${this.id} was destroyed; it runs no commands any more`,
          hint: 'use a machine before destroying its cluster',
        }),
      );
    }
    const existing = this.clients.get(user);
    if (existing) {
      return existing.then(
        (c) => (c.isAlive() ? c : this.connect(user)),
        () => this.connect(user),
      );
    }
    return this.connect(user);
  }

  private connect(user: string): Promise<SshClient> {
    const o = this.flight.opts;
    const p = connectWithRetry({
      host: this.ip,
      port: this.port,
      user,
      privateKeyPath: this.flight.privateKeyPath,
      // sshd already sent its banner (waitForSsh), so few tries are needed; the host key is
      // new on every boot of a throwaway machine, so there is nothing to pin.
      tries: Math.min(o.sshRetries, 10),
      perTryTimeoutMs: o.sshTimeoutSec * 1000,
      backoff: { initialMs: 200, factor: 1.5, maxMs: 2000 },
      hostKeyPolicy: 'insecure',
      // A TCG guest on a loaded host can go quiet for many seconds (sshd not scheduled while
      // the boot goes on): a minute of silence, not 15 s, means the connection is gone.
      keepaliveIntervalMs: 5000,
      keepaliveCountMax: 12,
      // root may be refused (sshd PermitRootLogin no): that is answered by sudo, not retried
      authFailureRetries: user === 'root' ? 0 : 2,
      logger: this.log,
      ...(this.signal ? { signal: this.signal } : {}),
    });
    this.clients.set(user, p);
    p.catch(() => {
      if (this.clients.get(user) === p) this.clients.delete(user);
    });
    return p;
  }

  async ssh(command: string, opts: MachineExecOptions = {}): Promise<ExecResult> {
    const user = opts.user ?? DEFAULT_USER;
    const execOpts: SshExecOptions = {
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.onStdout ? { onStdout: opts.onStdout } : {}),
      ...(opts.onStderr ? { onStderr: opts.onStderr } : {}),
      ...(this.signal ? { signal: this.signal } : {}),
    };
    const root = user === 'root' ? await this.rootClient() : undefined;
    const r =
      user === 'root' && !root
        ? await (
            await this.client(DEFAULT_USER)
          ).exec(shellQuote(['sudo', '-n', 'sh', '-c', command]), execOpts)
        : await (root ?? (await this.client(user))).exec(command, execOpts);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, signal: r.signal };
  }

  // Root over its own SSH login where the image allows it (the tiny image does; kola's key is
  // in root's authorized_keys); undefined when sshd refuses root, and root goes through sudo.
  private async rootClient(): Promise<SshClient | undefined> {
    if (this.rootViaSudo) return undefined;
    try {
      return await this.client('root');
    } catch (err) {
      if (!(err instanceof MantleError && err.code === SshErrorCode.AuthFailed)) throw err;
      this.log.debug(`root login refused on ${this.id}; using sudo as ${DEFAULT_USER}`);
      this.rootViaSudo = true;
      return undefined;
    }
  }

  // Copied as root (tests put files anywhere), creating missing parent directories; SFTP when
  // the machine offers it, else through a remote command.
  async copyFile(source: string | Uint8Array, remotePath: string, mode = 0o644): Promise<void> {
    const parent = posix.dirname(remotePath);
    const root = await this.rootClient();
    if (!root) {
      // No root login: upload as the default user, then move into place with sudo.
      const core = await this.client(DEFAULT_USER);
      const tmp = `/tmp/.kola-copy-${randomBytes(6).toString('hex')}`;
      await this.put(core, source, tmp, 0o600);
      const script = 'mkdir -p "$1" && chown root:root "$2" && chmod "$3" "$2" && mv -f "$2" "$4"';
      await core.mustExec(
        shellQuote(['sudo', '-n', 'sh', '-c', script, 'sh', parent, tmp, mode.toString(8), remotePath]),
      );
      return;
    }
    try {
      await this.put(root, source, remotePath, mode);
    } catch (err) {
      // SFTP's "No such file": the parent directory is missing.
      if (!(err instanceof MantleError && (err.cause as { code?: number } | undefined)?.code === 2))
        throw err;
      await root.mustExec(shellQuote(['mkdir', '-p', parent]));
      await this.put(root, source, remotePath, mode);
    }
  }

  // SFTP when the machine offers it, else a remote command (remembered per machine).
  private async put(
    client: SshClient,
    source: string | Uint8Array,
    remotePath: string,
    mode: number,
  ): Promise<void> {
    if (!this.installFallback) {
      try {
        await client.putFile(source, remotePath, { mode });
        return;
      } catch (err) {
        if (!(err instanceof MantleError && err.code === SshErrorCode.ChannelFailed)) throw err;
        this.log.debug(`no SFTP on ${this.id}; copying through a remote command`);
        this.installFallback = true;
      }
    }
    await client.mustExec(shellQuote(['mkdir', '-p', posix.dirname(remotePath)]));
    await client.installFile(source, remotePath, mode);
  }

  async bootId(): Promise<string> {
    const r = await this.ssh('cat /proc/sys/kernel/random/boot_id', {
      timeoutMs: this.flight.opts.sshTimeoutSec * 1000,
    });
    const id = r.stdout.trim();
    if (r.exitCode !== 0 || !id) {
      throw new OperationError({
        code: 'QEMU_BOOT_ID',
        message: `cannot read the boot id of machine ${this.id}: ${r.stderr.trim() || `exit code ${r.exitCode}`}`,
      });
    }
    return id;
  }

  /**
   * Reboot and wait for the new boot. qemu reports the guest's reset over QMP (a RESET event),
   * so the old system is known to be gone the moment it resets: no SSH polling for a changed
   * boot id, no waiting for the old sshd to stop answering. Then the new boot's ready marker
   * (or sshd's banner) and the usual readiness checks. (Cloud machines, without QMP, keep
   * their SSH-based detection.)
   */
  async reboot(): Promise<void> {
    const o = this.flight.opts;
    const consoleOffset = await fileSize(this.consolePath);
    const seen = this.resets;
    const t0 = Date.now();
    this.log.debug('rebooting');
    // The connection may drop before `reboot` reports back; that is success, not an error.
    const r = await this.ssh('reboot', { user: 'root', timeoutMs: 10_000 }).catch((err: unknown) => {
      if (!(
        err instanceof MantleError &&
        (err.code === SshErrorCode.ConnectionLost || err.code === SshErrorCode.ExecTimeout)
      ))
        throw err;
      return undefined;
    });
    // Old connections die with the old system, often silently (no FIN from a rebooting guest):
    // drop them now rather than wait for keepalives.
    this.dropClients();
    const deadline = Date.now() + o.sshRetries * o.sshTimeoutSec * 1000;
    // A `reboot` that said it failed gets a few seconds to reset all the same, not the whole
    // boot budget.
    const refused = r !== undefined && typeof r.exitCode === 'number' && r.exitCode > 0;
    const reset = await this.waitForReset(seen, refused ? Math.min(deadline, Date.now() + 5000) : deadline);
    this.throwIfAborted();
    this.log.debug(
      `reboot: command ended after ${Date.now() - t0} ms (${r ? `exit ${r.exitCode}` : 'connection lost'}), guest ${reset}`,
    );
    if (reset === 'timeout') {
      throw new OperationError({
        code: 'QEMU_REBOOT_FAILED',
        message: `machine ${this.id} did not reset after 'reboot'${
          refused ? ` (it exited ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''})` : ''
        }${await this.consoleSuffix()}`,
        hint: 'the reboot did not happen; look at the console',
      });
    }
    // After the reset only the new system can answer: with a ready marker the console says
    // when (banner probes as the slow fallback, as on the first boot), without one the banner.
    const marker = this.flight.boot.ready?.marker;
    const outcome = await this.waitForSshOrExit(deadline, consoleOffset, marker ? undefined : 'fast');
    if (outcome.kind !== 'ready') throw await this.bootFailure(outcome);
    const up = Date.now();
    await this.checkReady(deadline);
    this.preconnectRoot();
    this.log.debug(
      `reboot: new system up (${outcome.via}) after ${up - t0} ms, ready after ${Date.now() - t0} ms`,
    );
  }

  /**
   * On an image with a ready marker (the tiny image: root logs in over SSH at no cost), open
   * root's connection in the background: the journal is collected as root after the test, and
   * its key exchange then overlaps the test instead of adding to the teardown. Not on systemd
   * images, where a root login starts root's user manager (seconds under TCG).
   */
  private preconnectRoot(): void {
    if (this.readiness !== 'marker' || this.rootViaSudo || this.template) return;
    void this.rootClient().catch(() => undefined);
  }

  // Close SSH sessions and wait (briefly) for the goodbyes to reach the guest.
  private async closeClients(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    // A connection still being made (e.g. root's, opened in the background) is closed once it
    // is made; the wait is bounded all the same: a guest that died mid-handshake never answers.
    await Promise.allSettled(
      clients.map((p) =>
        Promise.race([
          p.then(
            (c) => c.close(),
            () => undefined,
          ),
          new Promise<void>((r) => setTimeout(r, 2000).unref()),
        ]),
      ),
    );
  }

  private dropClients(): void {
    for (const p of this.clients.values())
      void p.then(
        (c) => c.close(),
        () => undefined,
      );
    this.clients.clear();
  }

  async consoleOutput(): Promise<string> {
    try {
      return await readFile(this.consolePath, 'utf8');
    } catch {
      return '';
    }
  }

  // journal.txt and journal-raw.txt.gz are written beside console.txt, as kola's output has them.
  // (The tiny image's journalctl shim prints dmesg and the syslog.)
  async journalOutput(): Promise<string> {
    const probe = await this.ssh('command -v journalctl >/dev/null 2>&1 && echo yes', {
      user: 'root',
      timeoutMs: 30_000,
    });
    if (probe.stdout.trim() !== 'yes') return '';
    const text = await this.ssh('journalctl -o short-monotonic --no-pager -b', {
      user: 'root',
      timeoutMs: 120_000,
    });
    await writeFile(join(this.outputDir, 'journal.txt'), text.stdout);
    const raw = await this.ssh('journalctl -o export --no-pager -b', { user: 'root', timeoutMs: 120_000 });
    if (raw.exitCode === 0) await writeFile(join(this.outputDir, 'journal-raw.txt.gz'), gzipSync(raw.stdout));
    return text.stdout;
  }

  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  private async teardown(): Promise<void> {
    await this.closeClients();
    this.qmp?.close();
    this.qmp = undefined;
    this.identity?.close();
    this.identity = undefined;
    await this.qemu?.stop(3000);
    await this.swtpm?.process.stop(1000);
    if (this.lanPort !== undefined) this.cluster.lan?.removeMember(this.lanPort);
    await rm(this.tmp, { recursive: true, force: true });
    this.untrackTmp();
    this.unregisterCleanup();
    this.onDestroyed?.(this);
  }
}
