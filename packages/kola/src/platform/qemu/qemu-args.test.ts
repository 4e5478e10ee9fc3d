import { describe, expect, test } from 'vitest';
import { buildQemuArgs, randomMac, type QemuMachineSpec } from './qemu-args.js';

const base: QemuMachineSpec = {
  arch: 'x86_64',
  accel: 'tcg',
  memoryMiB: 512,
  cpus: 1,
  consolePath: '/out/console.txt',
  pidfile: '/tmp/m/qemu.pid',
  sshPort: 2222,
  userMac: '52:54:00:00:00:01',
};

// The value following each occurrence of a flag.
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

describe('buildQemuArgs', () => {
  test('forwards SSH from loopback only and sends the console to a file', () => {
    const args = buildQemuArgs(base);
    expect(values(args, '-netdev')).toEqual(['user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22']);
    expect(values(args, '-chardev')[0]).toBe('file,id=console0,path=/out/console.txt');
    expect(values(args, '-accel')).toEqual(['tcg']);
    expect(values(args, '-cpu')).toEqual(['max']);
    expect(args).not.toContain('-no-reboot');
    expect(args).toContain('-nodefaults');
  });

  test("kola's identity channel: a virtio-serial port named org.mantle.identity on a socket qemu serves", () => {
    expect(values(buildQemuArgs(base), '-device').join(' ')).not.toContain('virtserialport');
    const args = buildQemuArgs({ ...base, identitySocket: '/tmp/m/id,1.sock' });
    expect(values(args, '-chardev')).toContain(
      'socket,id=identity0,path=/tmp/m/id,,1.sock,server=on,wait=off',
    );
    expect(values(args, '-device')).toEqual(
      expect.arrayContaining([
        'virtio-serial-pci,id=vser0',
        'virtserialport,bus=vser0.0,chardev=identity0,name=org.mantle.identity',
      ]),
    );
  });

  test('kvm uses the host CPU; a model can be chosen', () => {
    expect(values(buildQemuArgs({ ...base, accel: 'kvm' }), '-cpu')).toEqual(['host']);
    expect(values(buildQemuArgs({ ...base, cpuModel: 'qemu64' }), '-cpu')).toEqual(['qemu64']);
  });

  test('a BIOS image (qboot) replaces SeaBIOS, never UEFI firmware', () => {
    expect(values(buildQemuArgs(base), '-bios')).toEqual([]);
    const kernel = { ...base, kernel: '/k/vmlinuz', bios: '/usr/share/qemu/qboot.rom' };
    expect(values(buildQemuArgs(kernel), '-bios')).toEqual(['/usr/share/qemu/qboot.rom']);
    const uefi = { ...kernel, uefi: { code: '/c.fd', vars: '/v.fd', secureBoot: false } };
    expect(values(buildQemuArgs(uefi), '-bios')).toEqual([]);
  });

  test('escapes commas in option values and passes Ignition through fw_cfg', () => {
    const args = buildQemuArgs({ ...base, ignitionPath: '/a,b/ignition.json', disk: '/t/d,1.qcow2' });
    expect(values(args, '-fw_cfg')).toEqual(['name=opt/org.flatcar-linux/config,file=/a,,b/ignition.json']);
    expect(values(args, '-drive')[0]).toContain('file=/t/d,,1.qcow2');
  });

  test('adds the private LAN NIC as a dgram netdev towards the switch', () => {
    const args = buildQemuArgs({
      ...base,
      lan: { mac: '52:54:00:aa:bb:cc', localPort: 4000, switchPort: 5000 },
    });
    const lan = values(args, '-netdev')[1] ?? '';
    expect(lan).toMatch(/^dgram,id=net1,local\.type=inet,local\.host=127\.0\.0\.1,local\.port=4000,/);
    expect(lan).toContain('remote.host=127.0.0.1,remote.port=5000');
    expect(values(args, '-device')).toContain('virtio-net-pci,netdev=net1,mac=52:54:00:aa:bb:cc,romfile=');
  });

  test('UEFI: read-only code and per-machine vars as pflash; secure boot turns on SMM', () => {
    const args = buildQemuArgs({
      ...base,
      uefi: { code: '/fw/CODE.fd', vars: '/m/VARS.fd', secureBoot: true },
    });
    expect(values(args, '-machine')).toEqual(['q35,smm=on']);
    expect(values(args, '-drive')).toEqual([
      'if=pflash,format=raw,unit=0,readonly=on,file=/fw/CODE.fd',
      'if=pflash,format=raw,unit=1,file=/m/VARS.fd',
    ]);
  });

  test('TPM through the swtpm socket; aarch64 uses virt and the sysbus TPM', () => {
    const x86 = buildQemuArgs({ ...base, tpmSocket: '/m/swtpm.sock' });
    expect(values(x86, '-tpmdev')).toEqual(['emulator,id=tpm0,chardev=chrtpm']);
    expect(values(x86, '-device')).toContain('tpm-tis,tpmdev=tpm0');
    const arm = buildQemuArgs({ ...base, arch: 'aarch64', tpmSocket: '/m/swtpm.sock' });
    expect(values(arm, '-machine')).toEqual(['virt']);
    expect(values(arm, '-device')).toContain('tpm-tis-device,tpmdev=tpm0');
  });

  test('aarch64 under TCG: virt, max with the cheap pointer authentication, PCI virtio devices', () => {
    const args = buildQemuArgs({
      ...base,
      arch: 'aarch64',
      kernel: '/k',
      append: 'console=ttyAMA0',
      ignitionPath: '/m/ignition.json',
    });
    expect(values(args, '-machine')).toEqual(['virt']);
    expect(values(args, '-cpu')).toEqual(['max,pauth-impdef=on']);
    expect(values(args, '-device')).toEqual([
      'virtio-rng-pci',
      'virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01,romfile=',
    ]);
    expect(values(args, '-serial')).toEqual(['chardev:console0']);
    expect(values(args, '-fw_cfg')).toEqual(['name=opt/org.flatcar-linux/config,file=/m/ignition.json']);
    expect(values(buildQemuArgs({ ...base, arch: 'aarch64', accel: 'kvm' }), '-cpu')).toEqual(['host']);
    expect(values(buildQemuArgs({ ...base, arch: 'aarch64', cpuModel: 'cortex-a57' }), '-cpu')).toEqual([
      'cortex-a57',
    ]);
  });

  test('direct kernel boot', () => {
    const args = buildQemuArgs({ ...base, kernel: '/k', initrd: '/i', append: 'console=ttyS0 x=1' });
    expect(values(args, '-kernel')).toEqual(['/k']);
    expect(values(args, '-initrd')).toEqual(['/i']);
    expect(values(args, '-append')).toEqual(['console=ttyS0 x=1']);
  });

  test('a snapshot template keeps its RAM in a shared file and a QMP socket; a copy maps it privately and waits for its state', () => {
    const template = buildQemuArgs({
      ...base,
      memoryFile: { path: '/s/ram', shared: true },
      qmpSocket: '/t/qmp.sock',
      snapshotTemplate: true,
    });
    expect(values(template, '-object')).toEqual([
      'memory-backend-file,id=ram0,size=512M,mem-path=/s/ram,share=on',
    ]);
    expect(values(template, '-machine')).toEqual(['q35,memory-backend=ram0']);
    expect(values(template, '-qmp')).toEqual(['unix:/t/qmp.sock,server=on,wait=off']);
    expect(values(template, '-global')).toEqual(['migration.store-global-state=off']);
    expect(template).not.toContain('-incoming');

    const copy = buildQemuArgs({
      ...base,
      memoryFile: { path: '/s/ram', shared: false },
      qmpSocket: '/t2/qmp.sock',
      incoming: true,
      consoleAppend: true,
      readOnlyDisks: [{ path: '/c/kolet.ext4', serial: 'kolet' }],
    });
    expect(values(copy, '-object')[0]).toContain('share=off');
    expect(values(copy, '-incoming')).toEqual(['defer']);
    expect(values(copy, '-chardev')[0]).toBe('file,id=console0,path=/out/console.txt,append=on');
    expect(values(copy, '-drive')).toContain('if=none,id=ro0,format=raw,readonly=on,file=/c/kolet.ext4');
    expect(values(copy, '-device')).toContain('virtio-blk-pci,drive=ro0,serial=kolet');
  });
});

test('randomMac is a unicast MAC in 52:54:00', () => {
  const mac = randomMac();
  expect(mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
  expect(randomMac(() => 0.999)).toBe('52:54:00:ff:ff:ff');
});
