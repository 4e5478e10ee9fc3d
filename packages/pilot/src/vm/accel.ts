// KVM or TCG. /dev/kvm can exist and still not work (nested virtualization: qemu aborts with
// "failed to set MSR 0x10a", or the vCPU never runs), so it is tested, not assumed: qemu boots a
// 64 KiB firmware whose reset vector prints "PK" on the serial port. Seen within 3 s = KVM runs
// guest code. The answer is kept per boot (/proc/sys/kernel/random/boot_id) in the cache dir,
// so only the first VM after a reboot pays for the probe. MANTLE_PILOT_ACCEL=kvm|tcg skips it.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Accel = 'kvm' | 'tcg';

export interface AccelChoice {
  accel: Accel;
  /** why not KVM, when TCG */
  reason?: string;
}

function probeFirmware(): Buffer {
  const rom = Buffer.alloc(0x10000, 0xf4); // hlt everywhere
  // at the reset vector (0xfff0): mov al,'P'; out 0xf8... via dx: mov dx,0x3f8; mov al,'P'; out dx,al; mov al,'K'; out dx,al; hlt
  Buffer.from([0xba, 0xf8, 0x03, 0xb0, 0x50, 0xee, 0xb0, 0x4b, 0xee, 0xf4]).copy(rom, 0xfff0);
  return rom;
}

async function probe(qemu: string): Promise<AccelChoice> {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch (err) {
    return { accel: 'tcg', reason: `/dev/kvm is not usable (${(err as NodeJS.ErrnoException).code})` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'pilot-kvm-'));
  try {
    writeFileSync(join(dir, 'fw.bin'), probeFirmware());
    // -M pc: the probe only needs a reset vector and a UART
    const args = ['-accel', 'kvm', '-M', 'pc', '-cpu', 'host', '-m', '16', '-nodefaults', '-no-user-config'];
    args.push('-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-bios', join(dir, 'fw.bin'));
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const result = await new Promise<AccelChoice>((resolve) => {
      const timer = setTimeout(
        () => resolve({ accel: 'tcg', reason: 'qemu -accel kvm ran no guest code within 3 s (nested KVM?)' }),
        3000,
      );
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString('latin1');
        if (out.includes('PK')) {
          clearTimeout(timer);
          resolve({ accel: 'kvm' });
        }
      });
      child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ accel: 'tcg', reason: e.message });
      });
      child.on('exit', () => {
        clearTimeout(timer);
        resolve({ accel: 'tcg', reason: `qemu -accel kvm failed: ${err.trim().split('\n').at(-1) ?? ''}` });
      });
    });
    child.kill('SIGKILL');
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The accelerator to use (env override, else the cached or fresh probe). */
export async function chooseAccel(
  qemu: string,
  env: NodeJS.ProcessEnv,
  cacheDir: string | undefined,
): Promise<AccelChoice> {
  const forced = env.MANTLE_PILOT_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return { accel: forced, reason: 'MANTLE_PILOT_ACCEL' };
  let bootId = '';
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // no boot id: probe every time
  }
  const file = cacheDir ? join(cacheDir, 'accel.json') : undefined;
  if (file && bootId) {
    try {
      const c = JSON.parse(readFileSync(file, 'utf8')) as {
        bootId: string;
        qemu: string;
        choice: AccelChoice;
      };
      if (c.bootId === bootId && c.qemu === qemu) return c.choice;
    } catch {
      // not probed yet
    }
  }
  const choice = await probe(qemu);
  if (file && bootId) {
    try {
      writeFileSync(file, JSON.stringify({ bootId, qemu, choice }), { mode: 0o600 });
    } catch {
      // probe again next time
    }
  }
  return choice;
}

/**
 * The guest's TSC frequency for TCG, where the guest clock runs off the host's TSC: a guest
 * calibrating it against the emulated PIT fails on a busy host ("tsc: Unable to calibrate
 * against PIT") and then hangs, so the kernel is told (tsc_early_khz=).
 */
export function hostTscKhz(): number | undefined {
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? Math.round(Number(m[1]) * 1000) : undefined;
  } catch {
    return undefined;
  }
}
