import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { InterruptedError, MantleError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { trackTempDir } from './child.js';
import { machineIgnition } from './kola-ignition.js';
import { QemuMachine, type ClusterContext, type FlightContext } from './machine.js';
import type { MachineSnapshot } from './snapshot-files.js';

/**
 * Machine snapshots: a booted, ready machine saved once per (image, merged config) and copied
 * for every machine that asks for the same config, instead of booting each.
 *
 * How (qemu 7.2, no KVM needed): the template boots with its RAM in a file mapped shared; once
 * it is ready kola closes its SSH sessions, pauses it and saves only the device state with
 * `migrate` and the `x-ignore-shared` capability (~0.1 s, a few hundred KiB); qemu quits, which
 * leaves the disk overlay complete. A copy maps the RAM file privately (copy-on-write: nothing
 * is read until the guest touches it, and the copies share the host's page cache), loads the
 * device state with `migrate-incoming`, and runs on its own overlay over the frozen one with its
 * own SSH port forward (the guest keeps 10.0.2.15:22; only the host port is new). See
 * reidentify.ts for the identity each copy gets.
 */

// tmpfs on every Linux distribution kola runs on; missing or not writable: the flight's temp dir
const SHM_DIR = '/dev/shm';
// room left on tmpfs beyond a template's RAM (other snapshots, other programs' files)
const SHM_SPARE_MIB = 256;

/** The snapshot key of a machine config: its merged Ignition, memory and image (the flight's). */
function snapshotKey(ignitionJson: string, memoryMiB: number): string {
  return createHash('sha256')
    .update(JSON.stringify({ ignitionJson, memoryMiB, v: 1 }))
    .digest('hex')
    .slice(0, 16);
}

/** The snapshots of one flight, made on first use and kept until the flight is destroyed. */
export class SnapshotStore {
  private readonly snapshots = new Map<string, Promise<MachineSnapshot | undefined>>();
  /** templates booting or being saved, so destroy() can stop them */
  private readonly templates = new Set<QemuMachine>();
  private closed = false;
  private shm: Promise<string | undefined> | undefined;
  private untrackShm: (() => void) | undefined;

  constructor(
    private readonly flight: FlightContext,
    private readonly log: Logger,
  ) {}

  /**
   * The snapshot for this user data, booting and saving its template on first use; undefined
   * when one cannot be made (the caller boots instead; the reason is logged once).
   */
  get(userData: string | undefined, memoryMiB: number | undefined): Promise<MachineSnapshot | undefined> {
    const memory = memoryMiB ?? this.flight.opts.memoryMiB;
    const { json } = machineIgnition(userData, { publicKeys: this.flight.publicKeys });
    const key = snapshotKey(json, memory);
    let p = this.snapshots.get(key);
    if (!p) {
      p = this.makeOnceMore(key, userData, memory).catch((err: unknown) => {
        if (err instanceof InterruptedError || this.flight.opts.signal?.aborted) {
          this.snapshots.delete(key);
          throw err;
        }
        const why = err instanceof MantleError ? err.message : String(err);
        this.log.warn(`snapshot ${key}: cannot make it (${why}); its machines boot instead`);
        return undefined;
      });
      this.snapshots.set(key, p);
    }
    return p;
  }

  /**
   * A template that fails is made once more before its machines fall back to booting: the
   * retry costs one boot, the fallback one boot per machine. The first failure is logged with
   * its reason. (The one template failure seen in CI was not reproduced in 20 tiny and 20
   * systemd templates made at load 12-21; the cause found meanwhile, a rebuild moving
   * `<name>-latest` under a running flight, is gone: runs use the build's real directory. What
   * is left is what fails any boot under load, e.g. a unit that times out, which a second try
   * usually survives.)
   */
  private async makeOnceMore(
    key: string,
    userData: string | undefined,
    memoryMiB: number,
  ): Promise<MachineSnapshot> {
    try {
      return await this.make(key, userData, memoryMiB);
    } catch (err) {
      if (err instanceof InterruptedError || this.flight.opts.signal?.aborted || this.closed) throw err;
      const why = err instanceof MantleError ? err.message : String(err);
      this.log.warn(`snapshot ${key}: its template failed (${why}); making it once more`);
      return this.make(key, userData, memoryMiB);
    }
  }

  private async make(key: string, userData: string | undefined, memoryMiB: number): Promise<MachineSnapshot> {
    const started = performance.now();
    const dir = join(this.flight.tmpDir, 'snapshots', key);
    // a second attempt starts from nothing: no overlay, state or RAM of the failed template
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const ramPath = await this.ramPath(key, dir, memoryMiB);
    await rm(ramPath, { force: true });
    // The template's own output (console.txt, ignition.json) stays in the run's output directory.
    const cluster: ClusterContext = {
      name: `snapshot-${key}`,
      outputDir: join(this.flight.outputDir, '_snapshots', key),
      lan: undefined,
      nextLanHost: () => {
        throw new Error('a snapshot template has no private LAN');
      },
      signal: undefined,
    };
    if (this.closed) throw new InterruptedError('the flight is being destroyed');
    const m = new QemuMachine(this.flight, cluster);
    this.templates.add(m);
    this.log.debug(`snapshot ${key}: booting its template ${m.id}`);
    try {
      await m.bootTemplate(userData, { memoryMiB }, { dir, ramPath });
      const { spec, consolePath, readiness, identityChannel, hostKey } = m.templateSpec;
      this.log.debug(`snapshot ${key}: saving the state of ${m.id}`);
      await m.saveSnapshot(join(dir, 'state'));
      await copyFile(consolePath, join(dir, 'console.txt'));
      await copyFile(join(m.outputDir, 'ignition.json'), join(dir, 'ignition.json'));
      const snapshot: MachineSnapshot = {
        key,
        dir,
        statePath: join(dir, 'state'),
        ramPath,
        diskPath: spec.disk,
        consolePath: join(dir, 'console.txt'),
        ignitionPath: join(dir, 'ignition.json'),
        spec: { ...spec, ignitionPath: join(dir, 'ignition.json') },
        readiness,
        identityChannel,
        hostKey,
        makeMs: performance.now() - started,
      };
      this.log.debug(
        `snapshot ${key}: made in ${(snapshot.makeMs / 1000).toFixed(1)} s; copies get their identity ${identityChannel ? "through kola's identity channel" : 'over SSH (no identity agent answered)'}`,
      );
      return snapshot;
    } finally {
      await m.destroy();
      this.templates.delete(m);
    }
  }

  /**
   * Where a template's RAM file goes: a directory of the flight's own on tmpfs (/dev/shm) when
   * it has room for all of the machine's memory, else the snapshot directory. A template's RAM
   * is a MAP_SHARED file; on a disk filesystem every first write of the guest to a page is a
   * filesystem fault (ext4 allocates the block) and the dirty pages are written back while it
   * boots: the template then boots about twice as slowly as a plain machine, and every test
   * restored from it waits. The room matters: a full tmpfs (containers often have a 64 MiB
   * /dev/shm) would kill qemu with SIGBUS when the guest touches a page.
   */
  private async ramPath(key: string, dir: string, memoryMiB: number): Promise<string> {
    const room = await statfs(SHM_DIR).then(
      (s) => s.bavail * s.bsize,
      () => 0,
    );
    if (room < (memoryMiB + SHM_SPARE_MIB) * 1024 * 1024) return join(dir, 'ram');
    this.shm ??= mkdtemp(join(SHM_DIR, `mantle-snapshots-${process.pid}-`)).then(
      (d) => {
        this.untrackShm = trackTempDir(d);
        return d;
      },
      () => undefined,
    );
    const shm = await this.shm;
    return shm ? join(shm, `${key}.ram`) : join(dir, 'ram');
  }

  /** Stop templates still booting or saving, and remove the RAM files (the flight removes the rest with its temp dir). */
  async destroy(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.templates].map((m) => m.destroy()));
    const shm = await this.shm;
    if (shm && this.untrackShm) {
      await rm(shm, { recursive: true, force: true });
      this.untrackShm();
      this.untrackShm = undefined;
    }
  }
}
