import type { Accel } from './accel.js';
import { IDENTITY_PORT_NAME } from './identity-channel.js';
import type { QemuArch } from './options.js';

/** Everything that decides one machine's qemu command line. */
export interface QemuMachineSpec {
  arch: QemuArch;
  accel: Accel;
  memoryMiB: number;
  cpus: number;
  /** -cpu model; default host (KVM) or max (TCG; see defaultCpuModel) */
  cpuModel?: string;
  /** -bios: a BIOS image instead of qemu's default SeaBIOS (qboot for direct kernel boots) */
  bios?: string;
  /** direct kernel boot */
  kernel?: string;
  initrd?: string;
  append?: string;
  /** the machine's own qcow2 overlay over the flight's image */
  disk?: string;
  /** UEFI: the shared read-only code image and this machine's writable variable store */
  uefi?: { code: string; vars: string; secureBoot: boolean };
  /** Ignition config passed through fw_cfg */
  ignitionPath?: string;
  /** where the serial console goes */
  consolePath: string;
  pidfile: string;
  /** host port forwarded to the guest's port 22 */
  sshPort: number;
  /** MAC of the first NIC (qemu user networking) */
  userMac: string;
  /** the cluster's private LAN: this machine's UDP port and the switch's */
  lan?: { mac: string; localPort: number; switchPort: number };
  /** swtpm control socket */
  tpmSocket?: string;
  /** a QMP socket (unix) kola talks to: to save the machine's state, or to restore it */
  qmpSocket?: string;
  /**
   * guest RAM in a file: `shared` (a snapshot template, MAP_SHARED: the file holds its RAM) or
   * not (a restored machine, MAP_PRIVATE: copy-on-write over the template's RAM)
   */
  memoryFile?: { path: string; shared: boolean };
  /** a snapshot template: its saved state must not say "paused", so restores start running */
  snapshotTemplate?: boolean;
  /** wait for `migrate-incoming` on the QMP socket (a restored machine) */
  incoming?: boolean;
  /** append to the console file instead of truncating it (a restored machine) */
  consoleAppend?: boolean;
  /**
   * kola's identity channel (see identity-channel.ts): a virtio-serial port whose host end is
   * this unix socket; on snapshot templates and their copies (the same devices in both)
   */
  identitySocket?: string;
  /** read-only raw disks, each a virtio disk with this serial (/sys/block/vdX/serial) */
  readOnlyDisks?: { path: string; serial: string }[];
}

/** The fw_cfg key Flatcar's Ignition (and the tiny image) read the config from. */
const IGNITION_FW_CFG_NAME = 'opt/org.flatcar-linux/config';

// qemu's -drive/-chardev option syntax uses ',' as separator; a literal comma is written ',,'.
function optValue(path: string): string {
  return path.replace(/,/g, ',,');
}

/**
 * The -cpu model when none is given: the host's under KVM; under TCG `max` (every feature qemu
 * emulates: x86-64-v2+ for modern distributions, ARMv8.x+ for arm64). On aarch64 `max` signs
 * pointers with QARMA5, which TCG computes in software on every function return of a kernel
 * built with pointer authentication (Debian's is): the tiny image then needs ~13 s instead of
 * ~4 s to boot. `pauth-impdef=on` keeps pointer authentication but uses qemu's cheap
 * implementation-defined algorithm (qemu >= 6.0).
 */
function defaultCpuModel(arch: QemuArch, accel: Accel): string {
  if (accel === 'kvm') return 'host';
  return arch === 'aarch64' ? 'max,pauth-impdef=on' : 'max';
}

/** The qemu argument array for a machine (no shell involved; paths may hold any character but NUL). */
export function buildQemuArgs(spec: QemuMachineSpec): string[] {
  const x86 = spec.arch === 'x86_64';
  const args: string[] = [];
  let machine = x86 ? `q35${spec.uefi?.secureBoot ? ',smm=on' : ''}` : 'virt';
  if (spec.memoryFile) {
    // -m must match the backend's size; the machine takes its RAM from the backend.
    args.push(
      '-object',
      `memory-backend-file,id=ram0,size=${spec.memoryMiB}M,mem-path=${optValue(spec.memoryFile.path)},` +
        `share=${spec.memoryFile.shared ? 'on' : 'off'}`,
    );
    machine += ',memory-backend=ram0';
  }
  args.push('-machine', machine, '-accel', spec.accel);
  args.push('-cpu', spec.cpuModel ?? defaultCpuModel(spec.arch, spec.accel));
  args.push('-m', String(spec.memoryMiB), '-smp', String(spec.cpus));
  // No default devices (VGA, default NIC, floppy, CD): fewer devices, faster firmware.
  args.push('-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none');
  args.push(
    '-chardev',
    `file,id=console0,path=${optValue(spec.consolePath)}${spec.consoleAppend ? ',append=on' : ''}`,
    '-serial',
    'chardev:console0',
  );
  args.push('-pidfile', spec.pidfile);
  if (spec.bios && !spec.uefi) args.push('-bios', spec.bios);
  if (spec.qmpSocket) args.push('-qmp', `unix:${optValue(spec.qmpSocket)},server=on,wait=off`);
  if (spec.snapshotTemplate) args.push('-global', 'migration.store-global-state=off');
  if (spec.incoming) args.push('-incoming', 'defer');
  // Entropy from the host: key generation on first boot never waits for the guest's crng.
  args.push('-device', 'virtio-rng-pci');

  // NIC 0: user-mode networking, SSH forwarded from loopback only. romfile= skips the iPXE ROM.
  args.push('-netdev', `user,id=net0,hostfwd=tcp:127.0.0.1:${spec.sshPort}-:22`);
  args.push('-device', `virtio-net-pci,netdev=net0,mac=${spec.userMac},romfile=`);
  if (spec.lan) {
    // NIC 1: the cluster's private LAN, Ethernet frames as UDP datagrams to kola's switch.
    args.push(
      '-netdev',
      `dgram,id=net1,local.type=inet,local.host=127.0.0.1,local.port=${spec.lan.localPort},` +
        `remote.type=inet,remote.host=127.0.0.1,remote.port=${spec.lan.switchPort}`,
    );
    args.push('-device', `virtio-net-pci,netdev=net1,mac=${spec.lan.mac},romfile=`);
  }

  if (spec.uefi) {
    if (spec.uefi.secureBoot) args.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${optValue(spec.uefi.code)}`);
    args.push('-drive', `if=pflash,format=raw,unit=1,file=${optValue(spec.uefi.vars)}`);
  }
  if (spec.disk) {
    // cache=unsafe: the overlay is thrown away with the machine, so flushes buy nothing.
    args.push(
      '-drive',
      `if=none,id=disk0,format=qcow2,cache=unsafe,discard=unmap,file=${optValue(spec.disk)}`,
    );
    args.push('-device', 'virtio-blk-pci,drive=disk0,serial=primary-disk,bootindex=1');
  }
  if (spec.identitySocket) {
    args.push('-device', 'virtio-serial-pci,id=vser0');
    args.push('-chardev', `socket,id=identity0,path=${optValue(spec.identitySocket)},server=on,wait=off`);
    args.push('-device', `virtserialport,bus=vser0.0,chardev=identity0,name=${IDENTITY_PORT_NAME}`);
  }
  for (const [i, d] of (spec.readOnlyDisks ?? []).entries()) {
    args.push('-drive', `if=none,id=ro${i},format=raw,readonly=on,file=${optValue(d.path)}`);
    args.push('-device', `virtio-blk-pci,drive=ro${i},serial=${d.serial}`);
  }
  if (spec.kernel) {
    args.push('-kernel', spec.kernel);
    if (spec.initrd) args.push('-initrd', spec.initrd);
    if (spec.append) args.push('-append', spec.append);
  }
  if (spec.ignitionPath) {
    args.push('-fw_cfg', `name=${IGNITION_FW_CFG_NAME},file=${optValue(spec.ignitionPath)}`);
  }
  if (spec.tpmSocket) {
    args.push('-chardev', `socket,id=chrtpm,path=${optValue(spec.tpmSocket)}`);
    args.push('-tpmdev', 'emulator,id=tpm0,chardev=chrtpm');
    args.push('-device', `${x86 ? 'tpm-tis' : 'tpm-tis-device'},tpmdev=tpm0`);
  }
  return args;
}

/** A random locally administered unicast MAC in qemu's 52:54:00 range. */
export function randomMac(random: () => number = Math.random): string {
  const bytes = [0x52, 0x54, 0x00, ...Array.from({ length: 3 }, () => Math.floor(random() * 256))];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
