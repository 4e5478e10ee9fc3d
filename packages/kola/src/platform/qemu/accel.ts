import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrerequisiteError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { spawnGuarded } from './child.js';
import type { QemuArch } from './options.js';

/** The accelerator a machine actually runs with. */
export type Accel = 'kvm' | 'tcg';

interface KvmProbeResult {
  ok: boolean;
  /** why KVM is unusable, for the notice or the error */
  reason?: string;
}

// KVM in a nested VM can fail in two ways: qemu aborts ("failed to set MSR 0x10a") or the vCPU
// hangs without running a single instruction. So the probe boots a 64 KiB "BIOS" whose reset
// vector writes "MK!" to the serial port and halts: seen within the timeout = KVM runs guest
// code; anything else = it does not. Under working KVM this takes ~100 ms.
const PROBE_TIMEOUT_MS = 3000;
const PROBE_MARKER = 'MK!';

function probeRom(): Buffer {
  const rom = Buffer.alloc(64 * 1024);
  // mov dx,0x3f8; mov al,'M'; out dx,al; mov al,'K'; out dx,al; mov al,'!'; out dx,al; hlt; jmp $-1
  const code = [0xba, 0xf8, 0x03, 0xb0, 0x4d, 0xee, 0xb0, 0x4b, 0xee, 0xb0, 0x21, 0xee, 0xf4, 0xeb, 0xfd];
  Buffer.from(code).copy(rom, 0xfff0);
  return rom;
}

const probeCache = new Map<string, Promise<KvmProbeResult>>();

/** Whether KVM really runs guest code with this qemu (cached per process and binary). */
function probeKvm(qemuBinary: string, arch: QemuArch, logger?: Logger): Promise<KvmProbeResult> {
  const key = `${qemuBinary}:${arch}`;
  let hit = probeCache.get(key);
  if (!hit) {
    hit = runProbe(qemuBinary, arch, logger);
    probeCache.set(key, hit);
  }
  return hit;
}

async function runProbe(qemuBinary: string, arch: QemuArch, logger?: Logger): Promise<KvmProbeResult> {
  const hostGoArch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  if (hostGoArch !== arch) return { ok: false, reason: `the host is ${hostGoArch}, the machine ${arch}` };
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch (err) {
    return {
      ok: false,
      reason: `/dev/kvm is not usable (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    };
  }
  // The ROM probe is x86 code; on aarch64 an accessible /dev/kvm is all we can check cheaply.
  if (arch !== 'x86_64') return { ok: true };
  const dir = await mkdtemp(join(tmpdir(), 'mantle-kvm-probe-'));
  try {
    const rom = join(dir, 'probe.rom');
    await writeFile(rom, probeRom());
    let seen = '';
    let resolveSeen: () => void = () => undefined;
    const sawMarker = new Promise<void>((r) => (resolveSeen = r));
    const child = await spawnGuarded(
      qemuBinary,
      [
        '-accel',
        'kvm',
        '-M',
        'pc',
        '-cpu',
        'host',
        '-nodefaults',
        '-no-user-config',
        '-display',
        'none',
        '-m',
        '16',
        '-monitor',
        'none',
        '-serial',
        'stdio',
        '-bios',
        rom,
      ],
      {
        ...(logger ? { logger } : {}),
        onStdout: (chunk) => {
          seen += chunk.toString('latin1');
          if (seen.includes(PROBE_MARKER)) resolveSeen();
        },
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      sawMarker.then(() => 'ok' as const),
      child.exited.then(() => 'exited' as const),
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), PROBE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    await child.stop(500);
    if (outcome === 'ok') return { ok: true };
    const tail = child.outputTail(3).replace(/\s+/g, ' ').trim();
    return outcome === 'exited'
      ? { ok: false, reason: `qemu -accel kvm failed${tail ? `: ${tail}` : ''}` }
      : {
          ok: false,
          reason: `qemu -accel kvm ran no guest code within ${PROBE_TIMEOUT_MS / 1000} s (nested KVM?)`,
        };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Turn --qemu-accel into the accelerator to use; 'auto' falls back to TCG with a notice. */
export async function resolveAccel(
  requested: 'auto' | 'kvm' | 'tcg',
  qemuBinary: string,
  arch: QemuArch,
  logger: Logger,
): Promise<Accel> {
  if (requested === 'tcg') return 'tcg';
  const probe = await probeKvm(qemuBinary, arch, logger);
  if (probe.ok) return 'kvm';
  if (requested === 'kvm') {
    throw new PrerequisiteError({
      code: 'QEMU_KVM_UNUSABLE',
      message: `--qemu-accel kvm was requested but KVM does not work here: ${probe.reason ?? 'unknown'}`,
      hint: 'use --qemu-accel tcg (or auto, which falls back to TCG)',
      details: { reason: probe.reason },
    });
  }
  logger.info(`KVM is not usable (${probe.reason ?? 'unknown'}); using TCG (slower)`);
  return 'tcg';
}
