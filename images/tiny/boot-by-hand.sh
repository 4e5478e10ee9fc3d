#!/usr/bin/env bash
# Boot the tiny image with plain qemu, no mantle code involved: the baseline that kola's
# qemu platform is measured against, and a quick way to poke at the image.
#
# Usage: boot-by-hand.sh [options] [-- extra qemu args]
#   -c FILE    Ignition config passed through fw_cfg (opt/org.flatcar-linux/config)
#   -k KEY     SSH private key whose public half is in the config (for --bench)
#   -p PORT    host port forwarded to the guest's SSH port (default: first free from 2222)
#   -b         benchmark: serial console to a file, time qemu start -> "mantle-tiny: ready"
#              -> first SSH login, then power off over SSH and time that too. Without -c,
#              a throwaway key and a config authorizing it for core are generated.
#   -n RUNS    with -b: boot RUNS times (the host may be busy: look at the spread)
#   -a ARCH    the image of this architecture (build.sh --arch ARCH; default amd64); the qemu
#              machine follows the manifest's "arch" (q35, or virt for aarch64)
#   -h         this help
# Without -b qemu runs in the foreground with the serial console on this terminal
# (Ctrl-A X quits; press Enter for a root shell on the console).
#
# Environment: MANTLE_TINY_DIR (image dir; default: what build.sh prints), QEMU_ACCEL
# (default tcg: KVM does not work on the build machines), QEMU_MEM (default 512),
# KERNEL_CMDLINE (default: the manifest's cmdline; add mantle.debug for timed /init lines).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONFIG="" KEY="" PORT="" BENCH=false RUNS=1 ARCH=amd64
TMP=""

die() {
	echo "boot-by-hand: error: $*" >&2
	exit 1
}
cleanup() {
	[ -z "${QEMU_PID:-}" ] || kill "$QEMU_PID" 2>/dev/null || true
	[ -z "$TMP" ] || rm -rf "$TMP"
}

parse_args() {
	while getopts "c:k:p:bn:a:h" opt; do
		case $opt in
		c) CONFIG=$(readlink -f "$OPTARG") ;;
		k) KEY=$(readlink -f "$OPTARG") ;;
		p) PORT=$OPTARG ;;
		b) BENCH=true ;;
		n) RUNS=$OPTARG ;;
		a) ARCH=$OPTARG ;;
		h)
			sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
			exit 0
			;;
		*) exit 1 ;;
		esac
	done
	shift $((OPTIND - 1))
	EXTRA_ARGS=("$@")
	[ -z "$CONFIG" ] || [ -f "$CONFIG" ] || die "no config file $CONFIG"
}

# First TCP port from 2222 on which nothing listens on 127.0.0.1.
free_port() {
	local port
	for port in $(seq 2222 2322); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || {
			echo "$port"
			return
		}
	done
	die "no free port in 2222-2322"
}

now() { date +%s.%N; }
# CPU seconds qemu has used so far (user + system): on a busy host wall times stretch, this
# much less (with one vCPU and nothing to wait for it tracks the uncontended boot time).
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# qemu_args SERIAL: the whole qemu command line.
qemu_args() {
	QEMU=("${QEMU_MACHINE[@]}" -m "${QEMU_MEM:-512}"
		-nodefaults -no-user-config -display none -serial "$1"
		-kernel "$DIR/vmlinuz" -initrd "$DIR/initrd.img" -append "$CMDLINE"
		# romfile= drops the NIC's iPXE option ROM: nothing to netboot, saves time
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$PORT-:22"
		-device "virtio-net-pci,netdev=n0,romfile="
		-device virtio-rng-pci)
	[ -z "$CONFIG" ] || QEMU+=(-fw_cfg "name=opt/org.flatcar-linux/config,file=$CONFIG")
	QEMU+=("${EXTRA_ARGS[@]}")
}

# A throwaway key and a config authorizing it for core (and so for root).
make_config() {
	ssh-keygen -q -t ed25519 -N '' -C boot-by-hand -f "$TMP/key"
	KEY=$TMP/key
	CONFIG=$TMP/config.ign
	printf '{"ignition":{"version":"3.4.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["%s"]}]}}\n' \
		"$(cat "$TMP/key.pub")" >"$CONFIG"
}

ssh_core() {
	ssh -i "$KEY" -p "$PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -o ConnectTimeout=5 -o BatchMode=yes core@127.0.0.1 "$@"
}

# One benchmarked boot: qemu start to the ready marker (and qemu's CPU time by then), to the
# end of the first SSH login, that login alone, and poweroff to qemu's exit.
bench_once() {
	local serial=$TMP/serial.log start marker marker_cpu ssh_ready login t
	: >"$serial"
	qemu_args "file:$serial"
	start=$(now)
	"${QEMU[@]}" &
	QEMU_PID=$!
	until grep -q 'mantle-tiny: ready' "$serial"; do
		kill -0 "$QEMU_PID" 2>/dev/null || die "qemu exited; console: $serial"
		awk -v s="$(since "$start")" 'BEGIN { exit !(s > 120) }' && die "no marker after 120s"
		sleep 0.05
	done
	marker=$(since "$start")
	marker_cpu=$(cpu_seconds "$QEMU_PID")
	t=$(now)
	until ssh_core true 2>/dev/null; do sleep 0.1; done
	login=$(since "$t")
	ssh_ready=$(since "$start")
	t=$(now)
	ssh_core sudo poweroff || true
	wait "$QEMU_PID" || true
	QEMU_PID=""
	printf 'marker %ss (qemu cpu %ss)  ssh-ready %ss  login %ss  poweroff %ss  (guest: %s)\n' \
		"$marker" "$marker_cpu" "$ssh_ready" "$login" "$(since "$t")" \
		"$(sed -n 's/.*mantle-tiny: ready (\(.*\)).*/\1/p' "$serial" | head -n 1)"
}

main() {
	parse_args "$@"
	DIR=${MANTLE_TINY_DIR:-$("$HERE/build.sh" --arch "$ARCH")}
	# aarch64: -cpu max with qemu's own pointer-authentication algorithm; the default
	# (QARMA5) makes the boot ~3x slower under TCG.
	case $(sed -n 's/^ *"arch": "\(.*\)",$/\1/p' "$DIR/manifest.json") in
	"" | x86_64) QEMU_MACHINE=(qemu-system-x86_64 -accel "${QEMU_ACCEL:-tcg}" -M q35) ;;
	aarch64) QEMU_MACHINE=(qemu-system-aarch64 -accel "${QEMU_ACCEL:-tcg}" -M virt -cpu "max,pauth-impdef=on") ;;
	*) die "unknown arch in $DIR/manifest.json" ;;
	esac
	CMDLINE=${KERNEL_CMDLINE:-$(sed -n 's/^ *"cmdline": "\(.*\)",$/\1/p' "$DIR/manifest.json")}
	PORT=${PORT:-$(free_port)}
	TMP=$(mktemp -d)
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if ! $BENCH; then
		qemu_args mon:stdio
		echo "boot-by-hand: ssh -p $PORT core@127.0.0.1 (Ctrl-A X quits qemu)" >&2
		"${QEMU[@]}"
		return
	fi
	[ -n "$CONFIG" ] || make_config
	[ -n "$KEY" ] || die "-b with -c needs -k KEY"
	echo "boot-by-hand: $DIR, ${QEMU_MACHINE[*]}, port $PORT, $RUNS run(s)" >&2
	for _ in $(seq 1 "$RUNS"); do bench_once; done
}

main "$@"
