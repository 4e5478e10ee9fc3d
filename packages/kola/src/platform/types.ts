import type { Logger } from '@mantle/core/log';

/**
 * The platform API, as mantle's: a Flight (one per run, platform-wide state such as the SSH key
 * and the base image) creates Clusters (one per test), which create Machines.
 * qemu implements it locally; cloud platforms (aws, gcloud, azure) later implement the same.
 */

/** The result of a command run on a machine over SSH. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  signal: string | undefined;
}

export interface MachineExecOptions {
  /** text fed to stdin */
  stdin?: string | Uint8Array;
  timeoutMs?: number;
  /** run as this user instead of the machine's default user; 'root' for privileged commands */
  user?: string;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

/** Where a machine's start-up time went (milliseconds), for per-test timing reports. */
export interface MachineTimings {
  /** restored from a snapshot instead of booted */
  restored: boolean;
  /**
   * from starting the VM to sshd answering (a cloud: to the instance answering SSH; a restored
   * machine: to its first SSH login through, as it is not probed for a banner first)
   */
  qemuToSshMs: number;
  /** the first SSH login (0 for a restored machine: its login is part of readyMs) */
  loginMs: number;
  /** readiness checks after login (a restored machine: logging in and taking its new identity) */
  readyMs: number;
  /** waiting for the snapshot this machine was restored from (0 when it existed already) */
  snapshotWaitMs?: number;
}

export interface Machine {
  /** stable within a run, used for the per-machine output dir (e.g. `qemu-<uuid>`) */
  readonly id: string;
  /** address kola reaches SSH on (for qemu: 127.0.0.1, with `sshPort`) */
  readonly ip: string;
  readonly sshPort: number;
  /** the machine's address on the cluster's private LAN, if any */
  readonly privateIp: string | undefined;
  /** the directory holding console.txt, ignition.json, journal.txt for this machine */
  readonly outputDir: string;
  /** run a shell command line on the machine (build it with shellQuote from @mantle/core) */
  ssh(command: string, opts?: MachineExecOptions): Promise<ExecResult>;
  /** copy a local file (or bytes) to the machine with a mode */
  copyFile(source: string | Uint8Array, remotePath: string, mode?: number): Promise<void>;
  /** reboot and wait until the machine is back with a new boot id */
  reboot(): Promise<void>;
  /** the machine's boot id (/proc/sys/kernel/random/boot_id) */
  bootId(): Promise<string>;
  /** everything the serial console printed so far */
  consoleOutput(): Promise<string>;
  /** the journal (systemd images only; '' where there is no journald) */
  journalOutput(): Promise<string>;
  /** stop the machine and release everything it holds; idempotent */
  destroy(): Promise<void>;
  /** how long its start took, once it is up (platforms that measure it) */
  readonly timings?: MachineTimings;
  /**
   * a read-only disk with the kolet executable attached to the machine (its virtio serial and
   * the executable's sha256), so kolet need not be uploaded; undefined: upload it over SSH
   */
  readonly koletDevice?: { serial: string; sha256: string } | undefined;
}

/** Per-machine options: what to boot it with. */
export interface MachineOptions {
  /** Ignition config (already rendered and merged with kola's additions) as JSON text */
  ignition?: string;
  /** extra memory in MiB for this machine (defaults to the flight's) */
  memoryMiB?: number;
  /**
   * start the machine from a snapshot of an identical machine (same image and merged config)
   * where the platform can (qemu, one machine without a private LAN): the first such machine
   * boots and is saved, the others are copies of it with their own disk, SSH port, machine-id
   * and host keys. Platforms without snapshots boot as usual.
   */
  snapshot?: boolean;
}

export interface Cluster {
  readonly name: string;
  readonly machines: readonly Machine[];
  /** boot a machine with this user data (Butane or Ignition, as written by the test) */
  newMachine(userData?: string, opts?: MachineOptions): Promise<Machine>;
  /** destroy every machine and release the cluster's resources; idempotent */
  destroy(): Promise<void>;
}

export interface ClusterOptions {
  /** test name, for output dirs and logs */
  name: string;
  /** where this cluster's machines write their logs */
  outputDir: string;
  /** whether machines get a private LAN between them */
  privateNetwork?: boolean;
  signal?: AbortSignal;
}

export interface Flight {
  readonly platform: string;
  newCluster(opts: ClusterOptions): Promise<Cluster>;
  /**
   * start making the snapshot that machines with this user data will be restored from (see
   * MachineOptions.snapshot), before any of them is asked for; platforms without snapshots
   * leave it out. Errors show when a machine asks for the snapshot (it then boots). Returns,
   * where it makes one, a promise settled when the snapshot is ready or failed: the harness
   * schedules around it.
   */
  prepareSnapshot?(userData: string | undefined): Promise<unknown> | void;
  /** destroy every cluster and the flight's own resources; idempotent */
  destroy(): Promise<void>;
}

export interface FlightOptions {
  outputDir: string;
  logger: Logger;
  signal?: AbortSignal;
}
