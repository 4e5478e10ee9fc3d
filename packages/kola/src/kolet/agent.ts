import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationError, PrerequisiteError, errorMessage } from '@mantle/core/errors';
import { silentLogger, type Logger } from '@mantle/core/log';
import {
  KOLET_REMOTE_MODULE_DIR,
  interpretKoletRun,
  koletArtifacts,
  koletCheckCommand,
  koletInstallCommand,
  koletProbeCommand,
  koletRunCommand,
  type CheckReportJson,
  type KoletArtifacts,
  type KoletLocation,
} from '@mantle/kolet';
import type { ExecResult, Machine } from '../platform/types.js';
import { KOLET_DISK_CORRUPT, koletDiskInstallCommand } from './disk-install.js';

/**
 * kola's build makes the kolet executable that carries kola's built-in tests' native functions
 * (kolet's builder with `--tests src/tests/index.ts`) in kola's own dist/kolet/: dist/*.js sit
 * beside that directory, src/kolet/ (tests run from source) two levels below dist.
 */
const KOLA_KOLET: KoletLocation = {
  candidates: ['./kolet/kolet', '../../dist/kolet/kolet'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  ),
  buildCommand: 'pnpm --filter @mantle/kola build',
};

/** How one native function run ended, after any reboots it asked for. */
export type NativeOutcome =
  | { status: 'pass'; stdout: string; stderr: string; reboots: number }
  | { status: 'skip'; stdout: string; stderr: string; reboots: number; message: string }
  | { status: 'fail'; stdout: string; stderr: string; reboots: number; message: string };

/** What `kolet check` on one machine found. */
export interface MachineCheckResult {
  machine: string;
  report: CheckReportJson;
  passed: boolean;
}

export interface RunNativeRequest {
  machine: Machine;
  test: string;
  func: string;
  /** a --tests-dir module to upload and load with `--module` (undefined for built-in tests) */
  module?: string | undefined;
  /** called before each rerun after a reboot */
  onReboot?: (mark: string, reboot: number) => void;
}

/** How kolet got onto a machine: its read-only disk, an SSH upload, or it was there already. */
export interface KoletInstallInfo {
  via: 'disk' | 'ssh' | 'present';
  /** milliseconds, every install on the machine added up */
  ms: number;
}

/** How many reboots one native function may ask for before kola gives up (mantle's limit too). */
export const MAX_NATIVE_REBOOTS = 10;

// kolet is a ~100 MB Node executable: under TCG on a busy host one start takes 5–20 s, and the
// upload moves ~40 MB through the guest's SSH; generous ceilings keep a hung call from hanging.
const PROBE_TIMEOUT_MS = 180_000;
const INSTALL_TIMEOUT_MS = 20 * 60_000;
const CHECK_TIMEOUT_MS = 15 * 60_000;

const SHARED_LIBRARY_ERROR = /error while loading shared libraries/;

/**
 * kola's side of the kola ↔ kolet protocol: installs the kolet executable on machines (once per
 * machine, verified by sha256 on the machine), runs native functions (following reboot requests)
 * and declarative checks there, always as root.
 */
export class KoletAgent {
  private gzBytes: Promise<Buffer> | undefined;
  private readonly installs = new WeakMap<Machine, Promise<void>>();
  private readonly modules = new WeakMap<Machine, Map<string, Promise<string>>>();
  /** seconds each upload took, for logs and benchmarks */
  readonly uploads: { machine: string; ms: number; bytes: number }[] = [];
  /** how kolet got onto each machine and how long that took (for per-test timing) */
  private readonly installTimes = new WeakMap<Machine, KoletInstallInfo>();

  constructor(
    readonly artifacts: KoletArtifacts,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** The built kolet (PrerequisiteError, exit 3, saying how to build it, when it is missing). */
  static load(env: NodeJS.ProcessEnv = process.env, logger?: Logger): KoletAgent {
    return new KoletAgent(koletArtifacts(env, KOLA_KOLET), logger);
  }

  /** Whether this kolet build carries the native functions of a built-in test. */
  bundles(test: string): boolean {
    return this.artifacts.bundledTests.includes(test);
  }

  /** Make sure this kolet build is on the machine: probe, and upload only when it is not. */
  install(machine: Machine): Promise<void> {
    let p = this.installs.get(machine);
    if (!p) {
      p = this.doInstall(machine);
      this.installs.set(machine, p);
      p.catch(() => {
        if (this.installs.get(machine) === p) this.installs.delete(machine);
      });
    }
    return p;
  }

  /** Forget that a machine has kolet (e.g. after a reboot of an image that keeps nothing). */
  forget(machine: Machine): void {
    this.installs.delete(machine);
    this.modules.delete(machine);
  }

  /** How kolet got onto the machine (undefined: not installed by this agent). */
  installInfo(machine: Machine): KoletInstallInfo | undefined {
    return this.installTimes.get(machine);
  }

  private async doInstall(machine: Machine): Promise<void> {
    const started = performance.now();
    const via = await this.installOnce(machine);
    const prev = this.installTimes.get(machine);
    // after a reboot kolet is installed again: the times add up
    this.installTimes.set(machine, { via, ms: (prev?.ms ?? 0) + performance.now() - started });
  }

  private async installOnce(machine: Machine): Promise<KoletInstallInfo['via']> {
    const a = this.artifacts;
    // A read-only disk with this very build attached (qemu): mount it, check the hash, link it.
    const dev = machine.koletDevice;
    if (dev && dev.sha256 === a.sha256) {
      const r = await machine.ssh(koletDiskInstallCommand({ serial: dev.serial, sha256: a.sha256 }), {
        user: 'root',
        timeoutMs: PROBE_TIMEOUT_MS,
      });
      if (r.exitCode === 0) {
        this.logger.debug(`${machine.id}: kolet from its read-only disk (${dev.serial})`);
        return 'disk';
      }
      if (r.exitCode === KOLET_DISK_CORRUPT) {
        throw new OperationError({
          code: 'KOLET_DISK_CORRUPT',
          message: `the kolet disk of ${machine.id} does not hold this kolet build: ${r.stderr.trim()}`,
          hint: 'remove the kolet-disk directory in the mantle cache (~/.cache/mantle/kolet-disk) and run again',
          details: { machine: machine.id },
        });
      }
      this.logger.debug(
        `${machine.id}: kolet disk not usable (exit ${r.exitCode}: ${r.stderr.trim()}); uploading over SSH`,
      );
    }
    const probe = await machine.ssh(koletProbeCommand({ versionLine: a.versionLine }), {
      user: 'root',
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    if (probe.exitCode === 0) {
      this.logger.debug(`${machine.id}: kolet ${a.versionLine} already installed`);
      return 'present';
    }
    const gz = await this.gz();
    const started = performance.now();
    const r = await machine.ssh(koletInstallCommand({ sha256: a.sha256 }), {
      user: 'root',
      stdin: gz,
      timeoutMs: INSTALL_TIMEOUT_MS,
    });
    if (r.exitCode !== 0) {
      throw new OperationError({
        code: 'KOLET_INSTALL_FAILED',
        message: `installing kolet on ${machine.id} failed (exit ${r.exitCode}): ${r.stderr.trim() || '(no stderr)'}`,
        hint: 'the machine needs gunzip, sha256sum and ~150 MB free in /var/lib/kolet; a checksum mismatch means the upload was damaged',
        details: { machine: machine.id, exitCode: r.exitCode },
      });
    }
    const ms = performance.now() - started;
    this.uploads.push({ machine: machine.id, ms, bytes: gz.length });
    this.logger.debug(
      `${machine.id}: uploaded kolet (${(gz.length / 1e6).toFixed(1)} MB gzip) in ${(ms / 1000).toFixed(1)} s`,
    );
    return 'ssh';
  }

  private gz(): Promise<Buffer> {
    this.gzBytes ??= readFile(this.artifacts.gz).catch((err: unknown) => {
      this.gzBytes = undefined;
      throw new PrerequisiteError({
        code: 'KOLET_ARTIFACTS_INCOMPLETE',
        message: `cannot read ${this.artifacts.gz}: ${errorMessage(err)}`,
        hint: 'rebuild kolet with `pnpm --filter @mantle/kola build`',
        cause: err,
      });
    });
    return this.gzBytes;
  }

  /** Copy a --tests-dir module next to kolet (once per machine); resolves with its remote path. */
  private uploadModule(machine: Machine, file: string): Promise<string> {
    let perMachine = this.modules.get(machine);
    if (!perMachine) this.modules.set(machine, (perMachine = new Map<string, Promise<string>>()));
    let p = perMachine.get(file);
    if (!p) {
      const tag = createHash('sha256').update(file).digest('hex').slice(0, 8);
      const remote = `${KOLET_REMOTE_MODULE_DIR}/${tag}-${basename(file)}`;
      p = machine.copyFile(file, remote, 0o644).then(() => remote);
      const cache = perMachine;
      p.catch(() => cache.delete(file));
      perMachine.set(file, p);
    }
    return p;
  }

  /**
   * Run a native function with `kolet run`; on a reboot request reboot the machine and run it
   * again with the mark, at most MAX_NATIVE_REBOOTS times. Output of every run is kept.
   */
  async runNative(req: RunNativeRequest): Promise<NativeOutcome> {
    const m = req.machine;
    await this.install(m);
    const modules = req.module ? [await this.uploadModule(m, req.module)] : [];
    let stdout = '';
    let stderr = '';
    let mark: string | undefined;
    for (let reboots = 0; ; reboots++) {
      const cmd = koletRunCommand({
        test: req.test,
        func: req.func,
        modules,
        ...(mark !== undefined ? { rebootMark: mark } : {}),
      });
      const r = await this.execKolet(m, cmd);
      const o = interpretKoletRun(r);
      stdout += o.stdout;
      if (r.stderr) stderr += r.stderr.endsWith('\n') ? r.stderr : `${r.stderr}\n`;
      switch (o.status) {
        case 'pass':
          return { status: 'pass', stdout, stderr, reboots };
        case 'skip':
          return { status: 'skip', stdout, stderr, reboots, message: o.message };
        case 'fail':
          return { status: 'fail', stdout, stderr, reboots, message: lastLine(o.message) };
        case 'error':
          return { status: 'fail', stdout, stderr, reboots, message: this.explain(m, o.exitCode, o.message) };
        case 'reboot':
          if (reboots >= MAX_NATIVE_REBOOTS) {
            return {
              status: 'fail',
              stdout,
              stderr,
              reboots,
              message: `asked for more than ${MAX_NATIVE_REBOOTS} reboots (last mark ${o.mark})`,
            };
          }
          req.onReboot?.(o.mark, reboots + 1);
          await m.reboot();
          mark = o.mark;
          // /var/lib/kolet survives reboots on disk images; the probe finds out.
          this.forget(m);
          await this.install(m);
          if (req.module) modules.splice(0, 1, await this.uploadModule(m, req.module));
      }
    }
  }

  /**
   * Run a check spec (YAML text) with `kolet check - --format json` on the machine; `vars` (YAML or
   * JSON text) are the template's .Vars, `env` adds to its .Env (and the commands' environment).
   */
  async runChecks(
    machine: Machine,
    specText: string,
    opts: { timeoutMs?: number; vars?: string; env?: Record<string, string>; maxConcurrent?: number } = {},
  ): Promise<MachineCheckResult> {
    await this.install(machine);
    const r = await this.execKolet(
      machine,
      koletCheckCommand({
        ...(opts.vars !== undefined ? { vars: opts.vars } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.maxConcurrent !== undefined ? { maxConcurrent: opts.maxConcurrent } : {}),
      }),
      specText,
      opts.timeoutMs ?? CHECK_TIMEOUT_MS,
    );
    if (r.exitCode === 0 || r.exitCode === 1) {
      let report: CheckReportJson;
      try {
        report = JSON.parse(r.stdout) as CheckReportJson;
      } catch (err) {
        throw new OperationError({
          code: 'KOLET_CHECK_OUTPUT',
          message: `kolet check on ${machine.id} printed no JSON report: ${r.stdout.slice(0, 200)}${r.stderr ? `\n${r.stderr.trim()}` : ''}`,
          cause: err,
        });
      }
      return {
        machine: machine.id,
        report,
        passed: r.exitCode === 0 && report.summary['failed-count'] === 0,
      };
    }
    throw new OperationError({
      code: 'KOLET_CHECK_FAILED',
      message: `kolet check on ${machine.id}: ${this.explain(machine, r.exitCode, r.stderr.trim() || `exit ${r.exitCode}`)}`,
      hint:
        r.exitCode === 2
          ? 'kolet rejected the spec; validate it with a matching kolet version'
          : 'look at the machine journal',
      details: { machine: machine.id, exitCode: r.exitCode },
    });
  }

  // Runs a kolet command as root; a kolet that vanished (an image that forgets /var on reboot)
  // is installed again once.
  private async execKolet(
    machine: Machine,
    command: string,
    stdin?: string,
    timeoutMs?: number,
  ): Promise<ExecResult> {
    const opts = {
      user: 'root',
      ...(stdin !== undefined ? { stdin } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
    };
    const r = await machine.ssh(command, opts);
    if (r.exitCode === 127 && SHARED_LIBRARY_ERROR.test(r.stderr)) {
      // Every kolet call on this image would fail the same way: a missing prerequisite (exit 3).
      throw new PrerequisiteError({
        code: 'KOLET_CANNOT_START',
        message: this.explain(machine, r.exitCode, r.stderr.trim()),
        hint: 'boot an image with glibc, libstdc++6 and libgcc-s1 (e.g. --image systemd) for native functions and checks',
        details: { machine: machine.id },
      });
    }
    if (r.exitCode !== 127) return r;
    this.logger.debug(`${machine.id}: kolet is gone (${r.stderr.trim()}); installing it again`);
    this.forget(machine);
    await this.install(machine);
    return machine.ssh(command, opts);
  }

  private explain(machine: Machine, exitCode: number, message: string): string {
    if (SHARED_LIBRARY_ERROR.test(message)) {
      return (
        `kolet cannot start on ${machine.id}: ${lastLine(message)} — the image lacks a library kolet ` +
        'needs (glibc, libstdc++6, libgcc-s1); use an image that has them (e.g. the systemd test image)'
      );
    }
    if (exitCode === 2 && /no native function|with native functions/.test(message)) {
      return `${message} — the kolet executable does not carry this function; rebuild it with \`pnpm --filter @mantle/kola build\``;
    }
    return `kolet exited ${exitCode}: ${message}`;
  }
}

function lastLine(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines[lines.length - 1] ?? text;
}
