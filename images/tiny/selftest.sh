#!/usr/bin/env bash
# End-to-end check of the tiny image with plain qemu (TCG), no mantle code involved:
#  - VM a: a full Ignition config (users, base64 and percent-encoded files, append, a
#    directory, symbolic and hard links, hostname, a .network file for a second NIC)
#  - VM b: a minimal config on the same private LAN (-netdev dgram over unix sockets)
#  - VM c: a config that is not JSON: the error must show on the console, boot goes on
# then SSH checks (as core, as root, sudo), ping across the LAN, reboot (new boot_id,
# config applied again) and poweroff. Prints "ok"/"not ok" per check; exit 1 on a failure.
#
# Usage: selftest.sh [--arch amd64|arm64]   (MANTLE_TINY_DIR selects a built image; default:
#        what build.sh --arch prints). The qemu machine follows the manifest's "arch".
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TMP=""
PIDS=()
declare -A PID # qemu pid by VM name
FAILED=0

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	[ -z "$TMP" ] || rm -rf "$TMP"
}

ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	FAILED=$((FAILED + 1))
}

# check NAME EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected '$2', got '$3'"; fi
}

# Percent-encode stdin for a data: URL.
urlencode() { jq -sRr @uri; }

write_configs() {
	local pub hello gz gz_sha512 lan_a lan_b
	ssh-keygen -q -t ed25519 -N '' -C selftest -f "$TMP/key"
	pub=$(cat "$TMP/key.pub")
	hello=$(printf 'hello from ignition\n' | base64 -w0)
	# as Butane writes bigger files: gzip'd, base64, with the hash of the compressed data
	seq 1 1000 | gzip -9n >"$TMP/seq.gz"
	gz=$(base64 -w0 <"$TMP/seq.gz")
	gz_sha512=$(sha512sum <"$TMP/seq.gz" | cut -d' ' -f1)
	lan_a=$(printf '[Match]\nName=eth1\n\n[Network]\nAddress=192.168.77.10/24\n' | urlencode)
	lan_b=$(printf '[Match]\nMACAddress=52:54:00:00:77:0b\n\n[Network]\nAddress=192.168.77.11/24\n' | urlencode)
	cat >"$TMP/a.ign" <<-EOF
		{"ignition": {"version": "3.4.0"},
		 "passwd": {"users": [
		   {"name": "core", "sshAuthorizedKeys": ["$pub"]},
		   {"name": "alice", "uid": 1500, "groups": ["sudo"], "sshAuthorizedKeys": ["$pub"]}]},
		 "storage": {
		   "directories": [{"path": "/var/lib/selftest", "mode": 448}],
		   "files": [
		     {"path": "/etc/hello", "mode": 420, "contents": {"source": "data:;base64,$hello"}},
		     {"path": "/etc/percent.txt", "mode": 384,
		      "contents": {"source": "data:,50%25%20off%3A%20it's%20%5Cn%20%22quoted%22%0A"},
		      "append": [{"source": "data:,second%20line%0A"}]},
		     {"path": "/etc/hostname", "mode": 420, "contents": {"source": "data:,tiny-a%0A"}},
		     {"path": "/opt/seq.txt", "contents": {"source": "data:;base64,$gz", "compression": "gzip",
		      "verification": {"hash": "sha512-$gz_sha512"}}},
		     {"path": "/etc/systemd/network/10-lan.network", "contents": {"source": "data:,$lan_a"}}],
		   "links": [
		     {"path": "/etc/hello-symlink", "target": "/etc/hello"},
		     {"path": "/etc/hello-hardlink", "target": "/etc/hello", "hard": true}]},
		 "systemd": {"units": [{"name": "ignored.service", "enabled": true}]}}
	EOF
	cat >"$TMP/b.ign" <<-EOF
		{"ignition": {"version": "3.0.0"},
		 "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["$pub"]}]},
		 "storage": {"files": [
		   {"path": "/etc/hostname", "contents": {"source": "data:,tiny-b"}},
		   {"path": "/etc/systemd/network/20-lan.network", "contents": {"source": "data:,$lan_b"}}]}}
	EOF
	echo '{"ignition": {"version": "3.4.0"}, oops' >"$TMP/c.ign"
}

# boot NAME PORT [qemu args...]: start a VM in the background, console in $TMP/NAME.log,
# qemu's own messages in $TMP/NAME.err.
boot() {
	local name=$1 port=$2
	shift 2
	"${QEMU_MACHINE[@]}" -m 512 -nodefaults -no-user-config -display none \
		-serial "file:$TMP/$name.log" -kernel "$DIR/vmlinuz" -initrd "$DIR/initrd.img" \
		-append "$CMDLINE" -fw_cfg "name=opt/org.flatcar-linux/config,file=$TMP/$name.ign" \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device "virtio-net-pci,netdev=n0,romfile=" \
		-device virtio-rng-pci "$@" 2>"$TMP/$name.err" &
	PIDS+=($!)
	PID[$name]=$!
}

# wait_ready NAME [COUNT]: until the console shows COUNT ready markers (default 1).
wait_ready() {
	local n
	for _ in $(seq 1 3000); do # 5 minutes: TCG on a busy host is slow
		n=$(grep -c 'mantle-tiny: ready' "$TMP/$1.log" 2>/dev/null || true)
		[ "${n:-0}" -ge "${2:-1}" ] && return 0
		sleep 0.1
	done
	not_ok "$1 did not become ready; its console:"
	cat "$TMP/$1.log" "$TMP/$1.err"
	return 1
}

# on PORT USER COMMAND...
on() {
	ssh -i "$TMP/key" -p "$1" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -o ConnectTimeout=10 -o BatchMode=yes "$2@127.0.0.1" "${@:3}"
}

check_vm_a() {
	check "a: whoami" core "$(on 2231 core whoami)"
	check "a: hostname" tiny-a "$(on 2231 core hostname)"
	check "a: base64 file" "hello from ignition" "$(on 2231 core cat /etc/hello)"
	check "a: file mode 420" 644 "$(on 2231 core stat -c %a /etc/hello)"
	check "a: percent-encoded file + append" $'50% off: it\'s \\n "quoted"\nsecond line' \
		"$(on 2231 root cat /etc/percent.txt)"
	check "a: gzip'd file with verification hash" "1000 500500" "$(on 2231 core "wc -l </opt/seq.txt; awk '{s += \$1} END {print s}' /opt/seq.txt" | paste -sd' ')"
	check "a: file mode 384" 600 "$(on 2231 core stat -c %a /etc/percent.txt)"
	check "a: directory mode 448" 700 "$(on 2231 core stat -c %a /var/lib/selftest)"
	check "a: symlink" /etc/hello "$(on 2231 core readlink /etc/hello-symlink)"
	check "a: hard link" "$(on 2231 core stat -c %i /etc/hello)" "$(on 2231 core stat -c %i /etc/hello-hardlink)"
	check "a: os-release ID" mantle-tiny "$(on 2231 core "sed -n 's/^ID=//p' /etc/os-release")"
	check "a: eth0" 10.0.2.15/24 "$(on 2231 core ip -4 -o addr show eth0 | awk '{print $4}')"
	check "a: eth1 from .network" 192.168.77.10/24 "$(on 2231 core ip -4 -o addr show eth1 | awk '{print $4}')"
	check "a: root login with core's key" 0 "$(on 2231 root id -u)"
	check "a: sudo" 0 "$(on 2231 core sudo id -u)"
	check "a: sudo exit status" 7 "$(on 2231 core 'sudo sh -c "exit 7"; echo $?')"
	# shellcheck disable=SC2016 # expanded by the guest's shell
	check "a: new user alice" "1500 sudo" "$(on 2231 alice 'echo $(id -u) $(id -Gn | tr " " "\n" | grep -x sudo)')"
	check "a: sftp" hello "$(echo 'get /etc/hello '"$TMP"'/sftp.out' | sftp -q -b - -i "$TMP/key" -P 2231 \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR core@127.0.0.1 >/dev/null &&
		cut -d' ' -f1 "$TMP/sftp.out")"
	check "a: ignition status" ok "$(on 2231 core cat /run/mantle/ignition.status)"
	check "a: systemctl is-system-running" running "$(on 2231 core systemctl is-system-running)"
	check "a: unsupported section reported" 1 "$(grep -c 'ignition: warning: systemd.units' "$TMP/a.log")"
}

check_lan() {
	check "b: hostname" tiny-b "$(on 2232 core hostname)"
	check "b: eth1 by MACAddress match" 192.168.77.11/24 "$(on 2232 core ip -4 -o addr show eth1 | awk '{print $4}')"
	if on 2231 root ping -c 2 -W 3 192.168.77.11 >/dev/null; then ok "a pings b"; else not_ok "a pings b"; fi
	if on 2232 root ping -c 2 -W 3 192.168.77.10 >/dev/null; then ok "b pings a"; else not_ok "b pings a"; fi
}

check_bad_config() {
	wait_ready c || return 0
	check "c: invalid config reported" 1 "$(grep -c '^ignition: error: invalid config' "$TMP/c.log")"
	kill "${PID[c]}"
}

check_reboot() {
	local before after
	before=$(on 2231 core cat /proc/sys/kernel/random/boot_id)
	on 2231 core sudo reboot || true
	wait_ready a 2 || return 0
	after=$(on 2231 core cat /proc/sys/kernel/random/boot_id)
	if [ -n "$after" ] && [ "$before" != "$after" ]; then ok "a: reboot (new boot_id)"; else not_ok "a: reboot"; fi
	check "a: config applied again after reboot" "hello from ignition" "$(on 2231 core cat /etc/hello)"
}

check_poweroff() {
	on 2232 root poweroff || true
	for _ in $(seq 1 300); do
		kill -0 "${PID[b]}" 2>/dev/null || {
			ok "b: poweroff ends qemu"
			return
		}
		sleep 0.1
	done
	not_ok "b: poweroff ends qemu"
}

# qemu and its machine for the image's architecture (x86_64 when the manifest names none).
# aarch64: -cpu max with qemu's own pointer-authentication algorithm; the default (QARMA5)
# makes the boot ~3x slower under TCG.
qemu_machine() {
	case $(sed -n 's/^ *"arch": "\(.*\)",$/\1/p' "$DIR/manifest.json") in
	"" | x86_64) QEMU_MACHINE=(qemu-system-x86_64 -accel tcg -M q35) ;;
	aarch64) QEMU_MACHINE=(qemu-system-aarch64 -accel tcg -M virt -cpu "max,pauth-impdef=on") ;;
	*) echo "selftest: unknown arch in $DIR/manifest.json" >&2 && exit 1 ;;
	esac
}

main() {
	[ "${1:-}" != --arch ] || [ $# -ge 2 ] || { echo "selftest: --arch needs a value" >&2 && exit 1; }
	DIR=${MANTLE_TINY_DIR:-$("$HERE/build.sh" "$@")}
	CMDLINE=$(sed -n 's/^ *"cmdline": "\(.*\)",$/\1/p' "$DIR/manifest.json")
	qemu_machine
	TMP=$(mktemp -d)
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	write_configs
	boot a 2231 -netdev "dgram,id=n1,local.type=unix,local.path=$TMP/a.sock,remote.type=unix,remote.path=$TMP/b.sock" \
		-device "virtio-net-pci,netdev=n1,romfile=,mac=52:54:00:00:77:0a"
	boot b 2232 -netdev "dgram,id=n1,local.type=unix,local.path=$TMP/b.sock,remote.type=unix,remote.path=$TMP/a.sock" \
		-device "virtio-net-pci,netdev=n1,romfile=,mac=52:54:00:00:77:0b"
	boot c 2233
	wait_ready a && wait_ready b || exit 1
	check_vm_a
	check_lan
	check_bad_config
	check_reboot
	check_poweroff
	if [ "$FAILED" -eq 0 ]; then echo "PASS"; else
		echo "FAIL: $FAILED check(s); console and qemu messages of a:" && cat "$TMP/a.log" "$TMP/a.err"
		exit 1
	fi
}

main "$@"
