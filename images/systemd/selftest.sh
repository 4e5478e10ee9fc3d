#!/usr/bin/env bash
# End-to-end check of the systemd image with plain qemu (TCG), no mantle code involved:
#  1. VM a alone (timed): Ignition with a core key, a user and a group, files, a directory, a
#     link, the hostname, a unit enabled from Ignition (a oneshot touching
#     /run/ignition-unit-ran), a masked unit, drop-ins, a .network for a private LAN NIC.
#     SSH as core and root, sudo, sftp, `systemctl is-system-running --wait` = running, no
#     failed units, /usr read-only from USR-A, the console free of failure messages.
#  2. a reboots: state persists, Ignition does not run again, still running.
#  3. VM b joins a's private LAN (-netdev dgram over unix sockets): they ping each other.
#  4. VM c gets a config with errors (a remote source, a bad unit name): the boot goes on,
#     the machine is "degraded" and mantle-ignition-check.service is the failed unit.
# Prints "ok"/"not ok" per check, timings, and "N passed, N failed"; exit 1 on a failure.
#
# Usage: selftest.sh    (MANTLE_SYSTEMD_DIR selects a built image; default: build.sh's)
# Commands in single quotes run in the guest's shell (SC2016).
# shellcheck disable=SC2016
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TMP=""
PIDS=()
declare -A PID  # qemu pid by VM name
declare -A PORT # ssh port by VM name
PASSED=0
FAILED=0

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	[ -z "$TMP" ] || rm -rf "$TMP"
}

ok() {
	echo "ok - $*"
	PASSED=$((PASSED + 1))
}
not_ok() {
	echo "not ok - $*"
	FAILED=$((FAILED + 1))
}

# check NAME EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected '$2', got '$3'"; fi
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# A free TCP port on 127.0.0.1.
free_port() {
	local port
	while :; do
		port=$((20000 + RANDOM % 20000))
		ss -Htln "sport = :$port" | grep -q . || break
	done
	echo "$port"
}

# Percent-encode stdin for a data: URL.
urlencode() { jq -sRr @uri; }

write_configs() {
	local pub unit lan_a lan_b
	ssh-keygen -q -t ed25519 -N '' -C selftest -f "$TMP/key"
	pub=$(cat "$TMP/key.pub")
	unit='[Unit]\nDescription=unit enabled by Ignition\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c \"echo $$MANTLE_TEST >/run/ignition-unit-ran\"\n\n[Install]\nWantedBy=multi-user.target\n'
	lan_a=$(printf '[Match]\nMACAddress=52:54:00:00:77:0a\n\n[Network]\nAddress=192.168.77.10/24\n' | urlencode)
	lan_b=$(printf '[Match]\nName=eth1\n\n[Network]\nAddress=192.168.77.11/24\n' | urlencode)
	cat >"$TMP/a.ign" <<-EOF
		{"ignition": {"version": "3.4.0"},
		 "passwd": {
		   "groups": [{"name": "testers", "gid": 1600}],
		   "users": [
		     {"name": "core", "sshAuthorizedKeys": ["$pub"]},
		     {"name": "alice", "uid": 1500, "groups": ["sudo", "testers"], "sshAuthorizedKeys": ["$pub"]}]},
		 "storage": {
		   "directories": [{"path": "/var/lib/selftest", "mode": 448}],
		   "files": [
		     {"path": "/etc/hello", "mode": 420, "contents": {"source": "data:,hello%20from%20ignition%0A"}},
		     {"path": "/etc/hostname", "mode": 420, "overwrite": true, "contents": {"source": "data:,sd-a%0A"}},
		     {"path": "/etc/systemd/network/10-kola-lan.network", "contents": {"source": "data:,$lan_a"}}],
		   "links": [{"path": "/etc/hello-link", "target": "/etc/hello"}]},
		 "systemd": {"units": [
		   {"name": "ignition-test.service", "enabled": true, "contents": "$unit",
		    "dropins": [{"name": "10-env.conf", "contents": "[Service]\nEnvironment=MANTLE_TEST=from-dropin\n"}]},
		   {"name": "e2scrub_reap.service", "mask": true},
		   {"name": "ssh.service", "dropins": [{"name": "90-selftest.conf", "contents": "[Service]\nEnvironment=SELFTEST=1\n"}]}]}}
	EOF
	cat >"$TMP/b.ign" <<-EOF
		{"ignition": {"version": "3.0.0"},
		 "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["$pub"]}]},
		 "storage": {"files": [
		   {"path": "/etc/hostname", "overwrite": true, "contents": {"source": "data:,sd-b"}},
		   {"path": "/etc/systemd/network/20-lan.network", "contents": {"source": "data:,$lan_b"}}]}}
	EOF
	# errors, but the key still gets in: a remote source (never fetched) and a bad unit name
	cat >"$TMP/c.ign" <<-EOF
		{"ignition": {"version": "3.4.0"},
		 "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["$pub"]}]},
		 "storage": {"files": [{"path": "/etc/remote", "contents": {"source": "https://example.invalid/x"}}]},
		 "systemd": {"units": [{"name": "bad/name.service", "enabled": true}]}}
	EOF
}

# boot NAME [qemu args...]: start a VM in the background on an overlay of the image; console
# in $TMP/NAME.log, qemu's own messages in $TMP/NAME.err. Sets START[NAME].
declare -A START
boot() {
	local name=$1
	shift
	PORT[$name]=$(free_port)
	[ -f "$TMP/$name.qcow2" ] ||
		qemu-img create -q -f qcow2 -F qcow2 -b "$DIR/disk.qcow2" "$TMP/$name.qcow2"
	START[$name]=$(now)
	qemu-system-x86_64 -accel tcg -M q35 -m 1024 -smp 2 -nodefaults -no-user-config -display none \
		-serial "file:$TMP/$name.log" -kernel "$DIR/vmlinuz" -initrd "$DIR/initrd.img" \
		-append "$CMDLINE" -fw_cfg "name=opt/org.flatcar-linux/config,file=$TMP/$name.ign" \
		-drive "if=none,id=d0,format=qcow2,cache=unsafe,discard=unmap,file=$TMP/$name.qcow2" \
		-device virtio-blk-pci,drive=d0,serial=primary-disk \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:${PORT[$name]}-:22" \
		-device "virtio-net-pci,netdev=n0,romfile=" -device virtio-rng-pci "$@" 2>"$TMP/$name.err" &
	PIDS+=($!)
	PID[$name]=$!
}

# on NAME USER COMMAND...
on() {
	ssh -i "$TMP/key" -p "${PORT[$1]}" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -o ConnectTimeout=10 -o BatchMode=yes "$2@127.0.0.1" "${@:3}"
}

# markers NAME: how many ready markers the console of NAME shows.
markers() {
	local n
	n=$(grep -c '^mantle-systemd: ready' "$TMP/$1.log" 2>/dev/null || true)
	echo "${n:-0}"
}

# wait_ssh NAME MARKERS_BEFORE: until `ssh core@ true` works (5 minutes at most); prints
# "MARKER SSH": the seconds since START[NAME] until the console shows one more ready marker
# than MARKERS_BEFORE (reboots append to the same console), and until the first SSH
# command returned. Until the marker, probes are cut off after 5 s: through qemu's user
# network a connection is accepted before the guest listens, and a probe could otherwise
# hang and overstate the time.
wait_ssh() {
	local marker=""
	for _ in $(seq 1 600); do
		if [ -z "$marker" ] && [ "$(markers "$1")" -gt "${2:-0}" ]; then
			marker=$(since "${START[$1]}")
		fi
		# once sshd listens (marker seen) a slow handshake is no hang: give it time
		if timeout "$([ -n "$marker" ] && echo 30 || echo 5)" ssh -i "$TMP/key" -p "${PORT[$1]}" \
			-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
			-o ConnectTimeout=4 -o BatchMode=yes core@127.0.0.1 true 2>/dev/null; then
			echo "${marker:--} $(since "${START[$1]}")"
			return 0
		fi
		kill -0 "${PID[$1]}" 2>/dev/null || break
		sleep 0.5
	done
	echo "$1 did not answer SSH; its console:" >&2
	cat "$TMP/$1.log" "$TMP/$1.err" >&2
	return 1
}

# Console lines kola's checks flag (emergency shell, panics, failed units, ...).
console_problems() {
	sed 's/\x1b\[[0-9;]*m//g' "$TMP/$1.log" | grep -E 'emergency|Kernel panic|Oops|WARNING: CPU:|I/O error|EXT4-fs error|Failed to start|Dependency failed|ordering cycle|Freezing execution|segfault|core dump' || true
}

check_vm_a() {
	local times ssh_s running_s state
	times=$(wait_ssh a 0) || exit 1
	ssh_s=${times#* }
	state=$(on a core systemctl is-system-running --wait || true)
	running_s=$(since "${START[a]}")
	check "a: systemctl is-system-running --wait" running "$state"
	echo "# a: first boot: ready marker after ${times% *}s, SSH ${ssh_s}s, running ${running_s}s (from qemu start)"
	TIMES="first boot: marker ${times% *}s, ssh ${ssh_s}s, running ${running_s}s"
	check "a: no failed units" "" "$(on a core systemctl --failed --no-legend --plain)"
	check "a: systemd-analyze" 0 "$(on a core systemd-analyze >/dev/null; echo $?)"
	echo "# a: $(on a core systemd-analyze | head -n 1)"
	check "a: whoami" core "$(on a core whoami)"
	check "a: core uid/gid/groups" "500 500 adm sudo systemd-journal wheel" \
		"$(on a core 'echo $(id -u) $(id -g) $(id -Gn | tr " " "\n" | grep -v "^core$" | sort)')"
	check "a: root login with core's key" 0 "$(on a root id -u)"
	check "a: sudo -n" 0 "$(on a core sudo -n id -u)"
	check "a: hostname from Ignition" sd-a "$(on a core hostname)"
	check "a: file" "hello from ignition" "$(on a core cat /etc/hello)"
	check "a: file mode" 644 "$(on a core stat -c %a /etc/hello)"
	check "a: directory mode 448" 700 "$(on a core sudo stat -c %a /var/lib/selftest)"
	check "a: symlink" /etc/hello "$(on a core readlink /etc/hello-link)"
	check "a: group from passwd.groups" "testers:x:1600:alice" "$(on a core getent group testers)"
	check "a: new user alice" "1500 sudo testers" \
		"$(on a alice 'echo $(id -u) $(id -Gn | tr " " "\n" | grep -E "^(sudo|testers)$" | sort)')"
	check "a: unit enabled by Ignition ran (with its drop-in)" from-dropin "$(on a core cat /run/ignition-unit-ran)"
	check "a: unit enabled" enabled "$(on a core systemctl is-enabled ignition-test.service)"
	check "a: preset file" "enable ignition-test.service" "$(on a core cat /etc/systemd/system-preset/20-ignition.preset)"
	check "a: masked unit" masked "$(on a core systemctl is-enabled e2scrub_reap.service || true)"
	check "a: drop-in on a packaged unit" SELFTEST=1 \
		"$(on a core systemctl show -p Environment --value ssh.service)"
	check "a: ignition status" ok "$(on a core cat /run/mantle/ignition.status)"
	check "a: os-release" "mantle-systemd debian" \
		"$(on a core '. /etc/os-release; echo $ID $ID_LIKE')"
	check "a: / is ROOT" "/dev/vda9 ext4 rw" "$(on a core findmnt -rno SOURCE,FSTYPE,OPTIONS / | cut -d, -f1)"
	check "a: /usr is USR-A, read-only" "/dev/vda3 ext4 ro" "$(on a core findmnt -rno SOURCE,FSTYPE,OPTIONS /usr | cut -d, -f1)"
	check "a: /usr not writable by root" 1 "$(on a root 'touch /usr/x 2>/dev/null; echo $?')"
	check "a: /oem is OEM" /dev/vda6 "$(on a core findmnt -no SOURCE /oem)"
	check "a: eth0 static" "10.0.2.15/24 default via 10.0.2.2" \
		"$(on a core 'echo $(ip -4 -o addr show eth0 | awk "{print \$4}") $(ip route show default | cut -d" " -f1-3)')"
	check "a: eth1 from kola-style .network (MACAddress)" 192.168.77.10/24 \
		"$(on a core ip -4 -o addr show eth1 | awk '{print $4}')"
	check "a: journal" 1 "$(on a core journalctl -b --no-pager | head -n 5 | grep -c 'Linux version')"
	echo "# a: journalctl -b | head -3:"
	on a core journalctl -b --no-pager | head -n 3 | sed 's/^/#   /' || true
	check "a: Ignition in its log" 1 "$(on a core "grep -c 'first boot done\$' /var/log/mantle/ignition.log")"
	check "a: sftp" "hello from ignition" "$(echo "get /etc/hello $TMP/sftp.out" | sftp -q -b - -i "$TMP/key" \
		-P "${PORT[a]}" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		core@127.0.0.1 >/dev/null && cat "$TMP/sftp.out")"
	check "a: ready marker on the console" 1 "$(grep -c '^mantle-systemd: ready' "$TMP/a.log")"
	check "a: console free of failure messages" "" "$(console_problems a)"
}

check_reboot() {
	local before after times ssh_s running_s state restarts asked down_s
	before=$(on a core cat /proc/sys/kernel/random/boot_id)
	restarts=$(grep -c 'reboot: Restarting system' "$TMP/a.log" || true)
	asked=$(now)
	on a core sudo systemctl reboot || true
	# the console shows when the old boot is gone; the new one is timed from there
	for _ in $(seq 1 1200); do
		[ "$(grep -c 'reboot: Restarting system' "$TMP/a.log" || true)" -gt "$restarts" ] && break
		sleep 0.1
	done
	START[a]=$(now)
	down_s=$(awk -v a="$asked" -v b="${START[a]}" 'BEGIN { printf "%.1f", b - a }')
	times=$(wait_ssh a 1) || return 0
	ssh_s=${times#* }
	state=$(on a core systemctl is-system-running --wait || true)
	running_s=$(since "${START[a]}")
	echo "# a: reboot: shutdown ${down_s}s, then ready marker ${times% *}s, SSH ${ssh_s}s, running ${running_s}s"
	TIMES="$TIMES; reboot: shutdown ${down_s}s, marker ${times% *}s, ssh ${ssh_s}s, running ${running_s}s"
	after=$(on a core cat /proc/sys/kernel/random/boot_id)
	if [ -n "$after" ] && [ "$before" != "$after" ]; then ok "a: reboot (new boot_id)"; else not_ok "a: reboot"; fi
	check "a: running after reboot" running "$state"
	check "a: Ignition not run again" 1 "$(on a core "grep -c 'first boot of this ROOT' /var/log/mantle/ignition.log")"
	check "a: console says so" 1 "$(grep -c 'not the first boot' "$TMP/a.log")"
	check "a: state kept" "hello from ignition sd-a" "$(on a core 'echo $(cat /etc/hello) $(hostname)')"
	check "a: enabled unit ran again" from-dropin "$(on a core cat /run/ignition-unit-ran)"
	check "a: still masked" masked "$(on a core systemctl is-enabled e2scrub_reap.service || true)"
	check "a: no failed units after reboot" "" "$(on a core systemctl --failed --no-legend --plain)"
}

check_lan() {
	local state
	wait_ssh b 0 >/dev/null || return 0
	state=$(on b core systemctl is-system-running --wait || true)
	check "b: running" running "$state"
	check "b: hostname" sd-b "$(on b core hostname)"
	check "b: eth1 by Name" 192.168.77.11/24 "$(on b core ip -4 -o addr show eth1 | awk '{print $4}')"
	if on a core ping -c 2 -W 3 192.168.77.11 >/dev/null; then ok "a pings b (as core)"; else not_ok "a pings b"; fi
	if on b core ping -c 2 -W 3 192.168.77.10 >/dev/null; then ok "b pings a (as core)"; else not_ok "b pings a"; fi
}

check_bad_config() {
	local state
	wait_ssh c 0 >/dev/null || return 0
	state=$(on c root systemctl is-system-running --wait || true)
	check "c: degraded" degraded "$state"
	check "c: the failed unit" mantle-ignition-check.service \
		"$(on c root systemctl --failed --no-legend --plain | awk '{print $1}')"
	check "c: errors on the console" 3 "$(grep -c '^ignition: error: ' "$TMP/c.log")"
	check "c: status" "failed: 3 error(s)" "$(on c core cat /run/mantle/ignition.status)"
}

poweroff() {
	on "$1" root systemctl poweroff || true
	for _ in $(seq 1 120); do
		kill -0 "${PID[$1]}" 2>/dev/null || {
			ok "$1: poweroff ends qemu"
			return
		}
		sleep 1
	done
	not_ok "$1: poweroff ends qemu"
	kill "${PID[$1]}" 2>/dev/null || true
}

main() {
	local lan_a lan_b
	DIR=${MANTLE_SYSTEMD_DIR:-$("$HERE/build.sh")}
	CMDLINE=$(jq -r .cmdline "$DIR/manifest.json")
	TMP=$(mktemp -d)
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	write_configs
	lan_a="dgram,id=n1,local.type=unix,local.path=$TMP/a.sock,remote.type=unix,remote.path=$TMP/b.sock"
	lan_b="dgram,id=n1,local.type=unix,local.path=$TMP/b.sock,remote.type=unix,remote.path=$TMP/a.sock"
	boot a -netdev "$lan_a" -device "virtio-net-pci,netdev=n1,romfile=,mac=52:54:00:00:77:0a"
	check_vm_a
	check_reboot
	boot b -netdev "$lan_b" -device "virtio-net-pci,netdev=n1,romfile=,mac=52:54:00:00:77:0b"
	check_lan
	poweroff a
	poweroff b
	boot c
	check_bad_config
	kill "${PID[c]}" 2>/dev/null || true
	echo "# times (TCG): $TIMES"
	echo "$PASSED passed, $FAILED failed"
	if [ "$FAILED" -ne 0 ]; then
		echo "console of a:" && sed 's/\x1b\[[0-9;]*m//g' "$TMP/a.log"
		exit 1
	fi
}

main "$@"
