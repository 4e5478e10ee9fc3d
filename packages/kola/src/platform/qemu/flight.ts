import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError, InterruptedError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { onCleanup } from '@mantle/core/cli';
import { requireTool } from '@mantle/core/exec';
import { generateKeyPair } from '@mantle/core/ssh';
import { resolveAccel } from './accel.js';
import { trackTempDir } from './child.js';
import { findQboot, resolveUefiFirmware, type UefiFirmware } from './firmware.js';
import { mantleCacheDir, resolveBootSource } from './image.js';
import { koletDiskImage } from './kolet-disk.js';
import { startLanSwitch, type LanSwitch } from './lan-switch.js';
import { QemuMachine, type ClusterContext, type FlightContext } from './machine.js';
import { resolveQemuOptions, type QemuArch, type QemuFlightOptions } from './options.js';
import type { Cluster, ClusterOptions, Flight, Machine, MachineOptions } from '../types.js';
import { SnapshotStore } from './snapshot.js';

const QEMU_TOOLS: Record<QemuArch, { binary: string; debianPackage: string }> = {
  x86_64: { binary: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86' },
  aarch64: { binary: 'qemu-system-aarch64', debianPackage: 'qemu-system-arm' },
};

// Host numbers on the LAN start here (.1 stays free for a gateway a test may want).
const LAN_FIRST_HOST = 10;
const LAN_LAST_HOST = 254;

/**
 * The qemu platform: boots local virtual machines without root. Checks every prerequisite
 * (qemu, the image, firmware, KVM) once, makes the flight's SSH key, and returns a Flight.
 */
export async function createQemuFlight(options: QemuFlightOptions): Promise<Flight> {
  const opts = resolveQemuOptions(options);
  const logger = opts.logger.child('qemu');
  const tool = QEMU_TOOLS[opts.arch];
  const qemuBinary = opts.qemuBinary
    ? await requireTool(opts.qemuBinary.includes('/') ? resolve(opts.qemuBinary) : opts.qemuBinary, {
        purpose: 'boot machines (--qemu-binary)',
        env: opts.env,
      })
    : await requireTool(tool.binary, {
        debianPackage: tool.debianPackage,
        purpose: 'boot machines',
        env: opts.env,
      });
  let qemuImgPath: Promise<string> | undefined;
  const qemuImg = (): Promise<string> =>
    (qemuImgPath ??= requireTool('qemu-img', {
      debianPackage: 'qemu-utils',
      purpose: 'inspect images and make overlays',
      env: opts.env,
    }));

  const boot = await resolveBootSource(
    {
      ...(opts.image ? { image: opts.image } : {}),
      ...(opts.kernel ? { kernel: opts.kernel } : {}),
      ...(opts.initrd ? { initrd: opts.initrd } : {}),
      ...(opts.append ? { append: opts.append } : {}),
      cacheDir: opts.cacheDir ?? mantleCacheDir(opts.env),
      arch: opts.arch,
      qemuImg,
    },
    logger,
  );
  if (opts.arch === 'aarch64' && boot.kernel && !opts.append)
    boot.append = boot.append?.replace(/console=ttyS0/, 'console=ttyAMA0');
  // A mantle image (the tiny default, or a manifest beside --qemu-kernel/--qemu-image) says
  // which architecture it is for: booting it on another one could only hang or crash.
  if (boot.arch && boot.arch !== opts.arch) {
    const what = boot.tiny?.dir ?? boot.disk?.path ?? boot.kernel ?? 'the image';
    throw new InputError({
      code: 'QEMU_ARCH_MISMATCH',
      message: `${what} is built for ${boot.arch}, but the machines are ${opts.arch}`,
      hint: `pass --qemu-arch ${boot.arch}, or an image built for ${opts.arch}`,
      details: { imageArch: boot.arch, arch: opts.arch },
    });
  }
  // UEFI when asked for (also with a kernel: OVMF then boots it through its EFI stub); aarch64's
  // virt machine has no BIOS, so disk boot there is always UEFI.
  let uefi: UefiFirmware | undefined;
  const firmware =
    opts.arch === 'aarch64' && opts.firmware === 'bios' && !boot.kernel ? 'uefi' : opts.firmware;
  if (firmware !== 'bios') uefi = await resolveUefiFirmware(firmware, opts.arch, opts.ovmfVars);
  // A kernel given to a BIOS machine needs no SeaBIOS: qboot boots it faster (see findQboot).
  const qboot = !uefi && boot.kernel && opts.qboot ? await findQboot(opts.arch) : undefined;
  if (opts.tpm)
    await requireTool('swtpm', {
      debianPackage: 'swtpm',
      purpose: 'give machines a TPM (--qemu-tpm)',
      env: opts.env,
    });
  const userKeys = opts.keyPath ? await readUserKey(opts.keyPath) : [];
  if (opts.signal?.aborted) throw new InterruptedError('abort signal');
  const accel = await resolveAccel(opts.accel, qemuBinary, opts.arch, logger);

  const tmp = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'mantle-qemu-'));
  const untrack = trackTempDir(tmp);
  const flight = new QemuFlight(tmp, logger, untrack);
  try {
    const key = await generateKeyPair({ dir: join(tmp, 'ssh'), name: 'id_ed25519', comment: 'kola@mantle' });
    flight.context = {
      outputDir: opts.outputDir,
      koletDisk: opts.koletExecutable
        ? await koletDiskImage(
            opts.koletExecutable,
            opts.cacheDir ?? mantleCacheDir(opts.env),
            logger,
            opts.env,
          )
        : undefined,
      opts,
      logger,
      qemuBinary,
      qemuImg,
      accel,
      boot,
      uefi,
      qboot,
      privateKeyPath: key.privateKeyPath,
      publicKeys: [key.publicKey, ...userKeys],
      tmpDir: tmp,
    };
    flight.snapshots = new SnapshotStore(flight.context, logger);
  } catch (err) {
    await flight.destroy();
    throw err;
  }
  logger.debug(
    `flight ready: ${opts.arch}, ${boot.tiny ? `tiny image ${boot.tiny.dir}` : boot.disk ? `image ${boot.disk.path}` : `kernel ${boot.kernel ?? ''}`}, ` +
      `${accel}, ${opts.memoryMiB} MiB, ${opts.cpus} vCPU${uefi ? `, UEFI ${uefi.code}` : ''}${qboot ? ', qboot' : ''}${opts.tpm ? ', TPM' : ''}`,
  );
  return flight;
}

// --key: a public key file, or a private key whose `.pub` sits beside it.
async function readUserKey(path: string): Promise<string[]> {
  const abs = resolve(path);
  const candidates = abs.endsWith('.pub') ? [abs] : [`${abs}.pub`, abs];
  for (const file of candidates) {
    const exists = await stat(file).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!exists) continue;
    const text = await readFile(file, 'utf8');
    const keys = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^(ssh-|ecdsa-|sk-)\S+ \S+/.test(l));
    if (keys.length > 0) return keys;
  }
  const exists = await stat(abs).then(
    () => true,
    () => false,
  );
  if (!exists) {
    throw new InputError({
      code: 'QEMU_KEY_MISSING',
      message: `--key ${path}: no such file or directory`,
      hint: 'pass the path of your public key (e.g. ~/.ssh/id_ed25519.pub) with --key',
      details: { path: abs },
    });
  }
  throw new InputError({
    code: 'QEMU_KEY_INVALID',
    message: `${abs} holds no SSH public key${abs.endsWith('.pub') ? '' : ` and there is no ${abs}.pub`}`,
    hint: 'pass a public key file (one "ssh-ed25519 AAAA..." line) with --key',
    details: { path: abs },
  });
}

class QemuFlight implements Flight {
  readonly platform = 'qemu';
  context: FlightContext | undefined;
  snapshots: SnapshotStore | undefined;
  private readonly clusters = new Set<QemuCluster>();
  private destroying: Promise<void> | undefined;
  private readonly unregister: () => void;

  constructor(
    private readonly tmp: string,
    private readonly logger: Logger,
    private readonly untrackTmp: () => void,
  ) {
    this.unregister = onCleanup(() => this.destroy(), 'qemu flight');
  }

  async newCluster(opts: ClusterOptions): Promise<Cluster> {
    if (this.destroying) throw new InterruptedError('flight destroyed');
    const ctx = this.context;
    if (!ctx) throw new Error('flight is not initialised');
    await mkdir(opts.outputDir, { recursive: true });
    const lan = opts.privateNetwork === false ? undefined : await startLanSwitch();
    // Snapshots need identical devices and no state outside qemu and its files: no private LAN
    // (each machine has its own address there), no TPM (swtpm's state), no UEFI (its variables).
    const snapshots = lan || ctx.uefi || ctx.opts.tpm ? undefined : this.snapshots;
    const cluster = new QemuCluster(ctx, opts, lan, snapshots, (c) => this.clusters.delete(c));
    this.clusters.add(cluster);
    return cluster;
  }

  prepareSnapshot(userData: string | undefined): Promise<unknown> | undefined {
    const ctx = this.context;
    if (this.destroying || !ctx || ctx.uefi || ctx.opts.tpm) return undefined;
    // get() logs and remembers a failure; the machines that ask for the snapshot then boot.
    return this.snapshots?.get(userData, undefined).catch(() => undefined);
  }

  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      await Promise.allSettled([...[...this.clusters].map((c) => c.destroy()), this.snapshots?.destroy()]);
      await rm(this.tmp, { recursive: true, force: true });
      this.untrackTmp();
      this.unregister();
      this.logger.debug('flight destroyed');
    })();
    return this.destroying;
  }
}

class QemuCluster implements Cluster {
  readonly name: string;
  /** booted machines, in creation order */
  private readonly live: QemuMachine[] = [];
  /** every machine not destroyed yet, booting ones included */
  private readonly all = new Set<QemuMachine>();
  private readonly ctx: ClusterContext;
  private destroying: Promise<void> | undefined;
  private nextHost = LAN_FIRST_HOST;

  constructor(
    private readonly flight: FlightContext,
    opts: ClusterOptions,
    private readonly lan: LanSwitch | undefined,
    private readonly snapshots: SnapshotStore | undefined,
    private readonly onDestroyed: (c: QemuCluster) => void,
  ) {
    this.name = opts.name;
    this.ctx = {
      name: opts.name,
      outputDir: opts.outputDir,
      lan,
      nextLanHost: () => {
        if (this.nextHost > LAN_LAST_HOST) {
          throw new InputError({
            code: 'QEMU_LAN_FULL',
            message: `cluster ${opts.name} has no free address left on its private LAN`,
            hint: `a cluster holds at most ${LAN_LAST_HOST - LAN_FIRST_HOST + 1} machines`,
          });
        }
        return this.nextHost++;
      },
      signal: opts.signal,
    };
  }

  get machines(): readonly Machine[] {
    return [...this.live];
  }

  async newMachine(userData?: string, opts: MachineOptions = {}): Promise<Machine> {
    if (this.destroying) throw new InterruptedError('cluster destroyed');
    const m = new QemuMachine(this.flight, this.ctx, (gone) => {
      this.all.delete(gone);
      const i = this.live.indexOf(gone);
      if (i >= 0) this.live.splice(i, 1);
    });
    this.all.add(m);
    try {
      const waitStart = performance.now();
      const snapshot =
        opts.snapshot && this.snapshots
          ? await abortable(this.snapshots.get(opts.ignition ?? userData, opts.memoryMiB), this.ctx.signal)
          : undefined;
      if (snapshot) await m.restore(snapshot, performance.now() - waitStart);
      else await m.boot(userData, opts);
    } catch (err) {
      await m.destroy();
      throw err;
    }
    this.live.push(m);
    return m;
  }

  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      await Promise.allSettled([...this.all].map((m) => m.destroy()));
      await this.lan?.close();
      this.onDestroyed(this);
    })();
    return this.destroying;
  }
}

// Wait for a promise unless the signal fires first (a test timeout while its snapshot is made:
// the snapshot goes on for the other tests).
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new InterruptedError('abort signal'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new InterruptedError('abort signal'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
