// The qemu flags kola uses by default for a one-machine boot under TCG (q35, -cpu max, 512 MiB,
// 1 vCPU, virtio-rng, user network with SSH forwarded), for benches that boot by hand and must
// boot exactly as kola does. The caller adds the disk, kernel and firmware config.
export function kolaLikeQemuArgs({ consolePath, hostPort = 0 }) {
  return [
    '-machine',
    'q35',
    '-accel',
    'tcg',
    '-cpu',
    'max',
    '-m',
    '512',
    '-smp',
    '1',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    `file:${consolePath}`,
    '-device',
    'virtio-rng-pci',
    '-netdev',
    `user,id=net0,hostfwd=tcp:127.0.0.1:${hostPort}-:22`,
    '-device',
    'virtio-net-pci,netdev=net0,romfile=',
  ];
}
