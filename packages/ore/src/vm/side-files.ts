// The files image_to_vm writes next to an image: a qemu launcher script (the counterpart of
// flatcar_production_qemu.sh, written here from scratch), a VMware .vmx, and a README per type.

/** Where OVMF's firmware lives on Debian/Ubuntu (ovmf) and Fedora (edk2-ovmf). */
export const OVMF_CANDIDATES = [
  { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' },
  { code: '/usr/share/OVMF/OVMF_CODE.fd', vars: '/usr/share/OVMF/OVMF_VARS.fd' },
  { code: '/usr/share/edk2/ovmf/OVMF_CODE.fd', vars: '/usr/share/edk2/ovmf/OVMF_VARS.fd' },
] as const;

export interface LauncherOptions {
  /** hostname-safe VM name */
  vmName: string;
  /** image file name (next to the script) */
  image: string;
  memoryMiB: number;
  /** pflash code/vars file names next to the script (UEFI) */
  pflash?: { code: string; vars: string };
}

/**
 * A bash launcher: `-a KEYS` (an Ignition config giving `core` those keys, through fw_cfg as
 * Flatcar reads it on qemu), `-i IGN` (an Ignition file), `-p PORT` (SSH forward, 2222), `-M MB`,
 * `-I IMAGE`, `-s` (TCG only, for hosts where KVM does not work), extra qemu arguments after `--`.
 * `VM_QEMU` picks the qemu binary (default qemu-system-x86_64). The image is used through a
 * throwaway overlay unless `-w` (write to it) is given.
 */
export function qemuLauncher(o: LauncherOptions): string {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/bash
# Start ${o.vmName} in qemu. Written by \`ore image to-vm\`.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
VM_NAME=${q(o.vmName)}
VM_IMAGE="\${SCRIPT_DIR}/"${q(o.image)}
VM_MEMORY=${o.memoryMiB}
VM_PFLASH_CODE=${o.pflash ? `"\${SCRIPT_DIR}/"${q(o.pflash.code)}` : ''}
VM_PFLASH_VARS=${o.pflash ? `"\${SCRIPT_DIR}/"${q(o.pflash.vars)}` : ''}
VM_QEMU=\${VM_QEMU:-qemu-system-x86_64}
SSH_PORT=2222
SSH_KEYS=""
IGNITION=""
SAFE=0
WRITE=0

usage() {
	cat <<EOF
Usage: $0 [options] [--] [qemu options...]
  -a FILE   authorize these SSH public keys for user core (an Ignition config is made)
  -i FILE   boot with this Ignition config (instead of -a)
  -p PORT   forward this localhost port to the VM's SSH (default $SSH_PORT)
  -M MB     memory (default $VM_MEMORY)
  -I FILE   another image file
  -s        TCG only: no KVM (nested or broken virtualization)
  -w        write to the image itself (default: a throwaway overlay)
  -h        this help
Then: ssh -p PORT core@127.0.0.1
EOF
}

while getopts "a:i:p:M:I:swh" opt; do
	case $opt in
	a) SSH_KEYS=$OPTARG ;;
	i) IGNITION=$OPTARG ;;
	p) SSH_PORT=$OPTARG ;;
	M) VM_MEMORY=$OPTARG ;;
	I) VM_IMAGE=$OPTARG ;;
	s) SAFE=1 ;;
	w) WRITE=1 ;;
	h)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
[ "\${1:-}" = "--" ] && shift

if [ -n "$SSH_KEYS" ] && [ -n "$IGNITION" ]; then
	echo "$0: -a and -i cannot be combined" >&2
	exit 2
fi
[ -f "$VM_IMAGE" ] || {
	echo "$0: image not found: $VM_IMAGE" >&2
	exit 2
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ -n "$SSH_KEYS" ]; then
	[ -s "$SSH_KEYS" ] || {
		echo "$0: no SSH keys in $SSH_KEYS" >&2
		exit 2
	}
	keys=$(grep -v '^[[:space:]]*$' "$SSH_KEYS" | sed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g' -e 's/.*/"&"/' | paste -sd, -)
	IGNITION="$TMP/config.ign"
	printf '{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":[%s]}]}}\\n' "$keys" >"$IGNITION"
fi

DISK=$VM_IMAGE
DISK_FORMAT=$(case "$VM_IMAGE" in *.img | *.qcow2) echo qcow2 ;; *) echo raw ;; esac)
if [ "$WRITE" = 0 ]; then
	qemu-img create -q -f qcow2 -F "$DISK_FORMAT" -b "$VM_IMAGE" "$TMP/overlay.qcow2"
	DISK=$TMP/overlay.qcow2
	DISK_FORMAT=qcow2
fi

args=(-name "$VM_NAME" -m "$VM_MEMORY" -smp 2 -nographic)
if [ "$SAFE" = 1 ]; then
	args+=(-machine q35,accel=tcg)
else
	args+=(-machine q35,accel=kvm:tcg -cpu max)
fi
if [ -n "$VM_PFLASH_CODE" ]; then
	cp "$VM_PFLASH_VARS" "$TMP/vars.fd"
	args+=(-drive "if=pflash,unit=0,format=raw,readonly=on,file=$VM_PFLASH_CODE"
		-drive "if=pflash,unit=1,format=raw,file=$TMP/vars.fd")
fi
args+=(-drive "if=none,id=disk0,format=$DISK_FORMAT,file=$DISK"
	-device virtio-blk-pci,drive=disk0,bootindex=1
	-netdev "user,id=eth0,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22,hostname=$VM_NAME"
	-device virtio-net-pci,netdev=eth0
	-object rng-random,filename=/dev/urandom,id=rng0 -device virtio-rng-pci,rng=rng0)
[ -n "$IGNITION" ] && args+=(-fw_cfg "name=opt/org.flatcar-linux/config,file=$IGNITION")

"$VM_QEMU" "\${args[@]}" "$@"
`;
}

/** The README image_to_vm writes beside a qemu image. */
export function qemuReadme(script: string): string {
  return `Start the image with qemu:
  ./${script}

Authorize your SSH keys for user core, or boot with an Ignition config:
  ./${script} -a ~/.ssh/authorized_keys
  ./${script} -i config.ign

Other SSH port, no KVM, extra qemu options:
  ./${script} -p 2223 -s -- -display curses

Then log in with:
  ssh -p 2222 core@127.0.0.1
`;
}

/** A VMware .vmx for a vmdk (pvscsi disk, vmxnet3 NIC, EFI off as Flatcar's images have it). */
export function vmxConfig(o: { vmName: string; vmdk: string; memoryMiB: number }): string {
  const lines: [string, string][] = [
    ['.encoding', 'UTF-8'],
    ['config.version', '8'],
    ['virtualHW.version', '11'],
    ['cleanShutdown', 'TRUE'],
    ['displayName', o.vmName],
    ['ethernet0.addressType', 'generated'],
    ['ethernet0.present', 'TRUE'],
    ['ethernet0.virtualDev', 'vmxnet3'],
    ['floppy0.present', 'FALSE'],
    ['guestOS', 'other26xlinux-64'],
    ['memsize', String(o.memoryMiB)],
    ['powerType.powerOff', 'soft'],
    ['powerType.powerOn', 'hard'],
    ['powerType.reset', 'hard'],
    ['powerType.suspend', 'hard'],
    ['scsi0.present', 'TRUE'],
    ['scsi0.virtualDev', 'pvscsi'],
    ['scsi0:0.fileName', o.vmdk],
    ['scsi0:0.present', 'TRUE'],
    ['sound.present', 'FALSE'],
    ['usb.present', 'TRUE'],
    ['usb.generic.autoconnect', 'FALSE'],
    ['pciBridge0.present', 'TRUE'],
    ['pciBridge4.present', 'TRUE'],
    ['pciBridge4.virtualDev', 'pcieRootPort'],
    ['pciBridge4.functions', '8'],
    ['hpet0.present', 'TRUE'],
    ['vcpu.hotadd', 'TRUE'],
    ['mem.hotadd', 'TRUE'],
  ];
  const esc = (v: string): string => v.replace(/\|/g, '|7C').replace(/"/g, '|22');
  return '#!/usr/bin/vmware\n' + lines.map(([k, v]) => `${k} = "${esc(v)}"`).join('\n') + '\n';
}
