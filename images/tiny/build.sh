#!/usr/bin/env bash
# Build the mantle "tiny" test OS: the Debian cloud kernel plus an initramfs holding busybox,
# dropbear (SSH), gojq and a small Ignition implementation (see README.md).
#
# Everything comes from Debian bookworm packages fetched with `apt-get download` and unpacked
# with `dpkg-deb -x`: no root, no chroot, no mounts, nothing installed on the host. Nothing
# from the packages is run, so any architecture builds on any host: a foreign one (arm64 on
# an amd64 host) is fetched through a private apt state in the cache directory, using the
# host's sources but never touching the host's apt configuration or package lists.
#
# The result is cached in ${MANTLE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/mantle}/images/:
#   tiny-<key>/{vmlinuz,initrd.img,manifest.json}   key = hash of package versions + our files
#   tiny-latest -> tiny-<key>
#   tiny-arm64-<key>/..., tiny-arm64-latest           the same for --arch arm64
# A cached build is reused as is. The cache directory is the only line printed on stdout:
#   DIR=$(images/tiny/build.sh)
#
# Usage: build.sh [--arch amd64|arm64] [--force] [--print-key]
#   --arch   Debian architecture of the image (default amd64; x86_64/aarch64 are accepted)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE_NAME=tiny
# shellcheck source-path=SCRIPTDIR source=../common/lib.sh
. "$HERE/../common/lib.sh"
CACHE_ROOT=${MANTLE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mantle}
IMAGES_DIR=$CACHE_ROOT/images
READY_MARKER="mantle-tiny: ready"

TMP=""


# set_arch ARCH: everything that differs between architectures. IMAGE_NAME names the cache
# entries (tiny-<key>, tiny-arm64-<key>); QEMU_ARCH is the manifest's "arch" (qemu/uname
# spelling, what kola's --qemu-arch takes); LDSO is the dynamic loader the programs name
# (PT_INTERP), LDSO_LINK/LDSO_TARGET the symlink that makes that path exist in the image.
set_arch() {
	case $1 in
	amd64 | x86_64)
		ARCH=amd64 IMAGE_NAME=tiny QEMU_ARCH=x86_64 MULTIARCH=x86_64-linux-gnu CONSOLE=ttyS0
		LDSO=/lib64/ld-linux-x86-64.so.2
		LDSO_LINK=usr/lib64/ld-linux-x86-64.so.2 LDSO_TARGET=../lib/$MULTIARCH/ld-linux-x86-64.so.2
		MODULES_FILE=modules.txt
		;;
	arm64 | aarch64)
		# qemu's virt machine: the PL011 UART is ttyAMA0.
		ARCH=arm64 IMAGE_NAME=tiny-arm64 QEMU_ARCH=aarch64 MULTIARCH=aarch64-linux-gnu CONSOLE=ttyAMA0
		LDSO=/lib/ld-linux-aarch64.so.1
		LDSO_LINK=usr/lib/ld-linux-aarch64.so.1 LDSO_TARGET=$MULTIARCH/ld-linux-aarch64.so.1
		MODULES_FILE=modules-arm64.txt
		;;
	*) die "--arch $1: unknown architecture (amd64 or arm64)" ;;
	esac
	KERNEL_META=linux-image-cloud-$ARCH
	# Kernel command line for the image (the manifest tells kola). loglevel=4 keeps the boot
	# quiet but still shows errors, warnings ("WARNING: CPU:"), Oopses and panics.
	# cryptomgr.notests skips the crypto self-tests: ~0.6 s of CPU under TCG, 15% of the boot.
	# no_timer_check (x86 only; elsewhere the kernel would hand the unknown word to init): a
	# loaded TCG host can miss the early IO-APIC timer check and panic.
	CMDLINE="console=$CONSOLE loglevel=4 cryptomgr.notests"
	[[ $ARCH == amd64 ]] && CMDLINE+=" no_timer_check"
	# Files whose content defines the image (hashed into the cache key, besides package versions).
	INPUT_FILES=(build.sh packages.txt "$MODULES_FILE")
}

# Take --arch ARCH / --arch=ARCH out of the arguments (lib.sh's parse_args knows the rest):
# sets ARCH and ARGS.
take_arch_arg() {
	local arch=amd64
	ARGS=()
	while [ $# -gt 0 ]; do
		case $1 in
		--arch)
			[ $# -ge 2 ] || die "--arch needs a value (amd64 or arm64)"
			arch=$2
			shift
			;;
		--arch=*) arch=${1#--arch=} ;;
		*) ARGS+=("$1") ;;
		esac
		shift
	done
	set_arch "$arch"
}


cleanup() { [ -z "$TMP" ] || rm -rf "$TMP"; }


check_host_tools() {
	require_tools "apt dpkg cpio gzip patchelf util-linux" apt-get apt-cache apt-config dpkg dpkg-deb \
		cpio gzip sha256sum find sort patchelf flock
	HOST_ARCH=$(dpkg --print-architecture)
}


# A foreign architecture's packages come through a private apt state (package lists, cache,
# an empty dpkg status) under the cache directory, configured by APT_CONFIG: apt reads that
# file first, then the host's apt.conf.d (proxies, mirrors) and sources, so the same mirror
# is used while the host's own lists, cache and architectures stay untouched. lib.sh's apt
# calls pick it up from the environment. The lists are refreshed when missing, when the host's
# lists were updated after ours (`apt-get update` on the host refreshes both), or when a
# download fails (see download_packages).
setup_foreign_apt() {
	local dir=$CACHE_ROOT/apt/$ARCH host_lists
	[ "$ARCH" != "$HOST_ARCH" ] || return 0
	mkdir -p "$dir/state/lists/partial" "$dir/cache/archives/partial"
	[ -e "$dir/state/status" ] || : >"$dir/state/status"
	cat >"$dir/apt.conf.$$" <<-EOF
		APT::Architecture "$ARCH";
		APT::Architectures { "$ARCH"; };
		Dir::State "$dir/state";
		Dir::State::status "$dir/state/status";
		Dir::Cache "$dir/cache";
		Acquire::Languages "none";
	EOF
	# As root, apt drops to the _apt user, which cannot write into a private directory.
	[ "$(id -u)" -ne 0 ] || echo 'APT::Sandbox::User "root";' >>"$dir/apt.conf.$$"
	mv -f "$dir/apt.conf.$$" "$dir/apt.conf"
	host_lists=$(apt-config shell L Dir::State::lists/d | sed -n "s/^L='\(.*\)'$/\1/p")
	export APT_CONFIG=$dir/apt.conf
	FOREIGN_APT_DIR=$dir
	if [ ! -e "$dir/updated" ] || [ "${host_lists:-/var/lib/apt/lists}" -nt "$dir/updated" ]; then
		update_foreign_lists
	fi
}

update_foreign_lists() {
	local dir=$FOREIGN_APT_DIR
	say "updating the $ARCH package lists ($dir)"
	# One update at a time per architecture: apt's own lock would make a second one fail.
	flock "$dir/update.lock" apt-get -q update >&2 ||
		die "apt-get update for $ARCH failed (APT_CONFIG=$APT_CONFIG)"
	touch "$dir/updated"
}


# Sets PACKAGES (name=version, kernel first), KERNEL_PACKAGE and KERNEL_PACKAGE_VERSION.
# Versions are apt's candidates; apt-cache is slow to start, so it runs twice, not per package.
resolve_packages() {
	local names
	KERNEL_PACKAGE=$(kernel_package_of "$KERNEL_META")
	mapfile -t names < <(echo "$KERNEL_PACKAGE"; read_list "$HERE/packages.txt")
	resolve_versions "${names[@]}"
	KERNEL_PACKAGE_VERSION=${PACKAGES[0]#*=}
}

# 16 hex digits of sha256 over the resolved packages and the content of our input files
# (and, for any architecture but amd64, its name: amd64 keys are computed as they always were).
compute_key() {
	{
		[ "$ARCH" = amd64 ] || printf 'arch %s\n' "$ARCH"
		printf 'package %s\n' "${PACKAGES[@]}"
		# shellcheck disable=SC2046 # file names without spaces, one word each
		hash_inputs "$HERE" "${INPUT_FILES[@]}" $(cd "$HERE" && find rootfs -type f -o -type l | LC_ALL=C sort)
		hash_common_inputs
	} | sha256sum | cut -c1-16
}



# Download and unpack PACKAGES into $2 (the .debs go to $1). A foreign architecture's lists
# may be older than the mirror (a security update replaced a version): then they are
# updated and the build starts over once, since the versions (and so the key) may change.
download_packages() {
	if [ -z "${FOREIGN_APT_DIR:-}" ] || [ -n "${MANTLE_TINY_LISTS_UPDATED:-}" ]; then
		download_and_extract "$1" "$2" "${PACKAGES[@]}"
		return
	fi
	(download_and_extract "$1" "$2" "${PACKAGES[@]}") && return
	say "download failed: updating the $ARCH package lists and starting over"
	update_foreign_lists
	cleanup
	MANTLE_TINY_LISTS_UPDATED=1 exec "$HERE/build.sh" "${ORIG_ARGS[@]}"
}


# Merged-/usr layout: every program in /usr/bin, every library in /usr/lib/<multiarch>.
make_skeleton() {
	local root=$1 dir
	for dir in usr/bin usr/lib/$MULTIARCH usr/lib/mantle etc/dropbear etc/mantle \
		dev proc sys run tmp root home/core var/log mnt; do
		mkdir -p "$root/$dir"
	done
	ln -s usr/bin "$root/bin"
	ln -s usr/bin "$root/sbin"
	ln -s bin "$root/usr/sbin"
	ln -s usr/lib "$root/lib"
	case $LDSO_LINK in usr/lib64/*)
		mkdir -p "$root/usr/lib64"
		ln -s usr/lib64 "$root/lib64"
		;;
	esac
	ln -s ../run "$root/var/run"
	ln -s "$LDSO_TARGET" "$root/$LDSO_LINK"
	chmod 700 "$root/root"
	chmod 1777 "$root/tmp"
}

# The applets of the busybox binary $1, one per line. A foreign binary cannot run here, so
# its applet table is read instead: busybox keeps the names as one sorted NUL-separated
# string starting "[\0[[\0" (for Debian's amd64 busybox-static this gives exactly what
# `busybox --list` prints); reading stops at the first string that is not a name or out of
# order.
busybox_applets() {
	local bin=$1 offset
	if [ "$ARCH" = "$HOST_ARCH" ]; then
		"$bin" --list
		return
	fi
	offset=$(LC_ALL=C grep -aobP '\x00\[\x00\[\[\x00' "$bin" | head -n 1 | cut -d: -f1)
	[ -n "$offset" ] || die "cannot find the applet table in $bin"
	# (awk reads to the end: an early exit would be a SIGPIPE failure under pipefail)
	dd if="$bin" iflag=skip_bytes,count_bytes skip=$((offset + 1)) count=65536 bs=65536 status=none |
		tr '\0' '\n' |
		LC_ALL=C awk 'done || !/^[a-z0-9_.[-]+$/ || (NR > 1 && $0 <= prev) { done = 1; next } { print; prev = $0 }'
}

install_busybox() {
	local pkgroot=$1 root=$2 applet need
	install -m 755 "$pkgroot/bin/busybox" "$root/usr/bin/busybox"
	busybox_applets "$pkgroot/bin/busybox" >"$TMP/applets"
	# What /init and the shims cannot do without.
	for need in sh init mount insmod ip hostname awk sed grep usleep syslogd poweroff; do
		grep -qx "$need" "$TMP/applets" || die "busybox in busybox-static has no applet $need (applets: $(wc -l <"$TMP/applets"))"
	done
	while read -r applet; do
		case $applet in busybox | linuxrc) continue ;; esac
		ln -s busybox "$root/usr/bin/$applet"
	done <"$TMP/applets"
}

# install_program PKGROOT ROOT SRC DEST: copy a program and, if it is dynamically linked,
# every shared library it needs. Libraries are found from the ELF files' DT_NEEDED entries
# (patchelf reads any architecture's ELF; nothing is run), transitively, in the unpacked
# packages' library directories only: one missing there means packages.txt lacks a package.
install_program() {
	local pkgroot=$1 root=$2 src=$3 dest=$4 interp
	[ -f "$pkgroot/$src" ] || die "$src is not in the downloaded packages"
	install -D -m 755 "$pkgroot/$src" "$root/$dest"
	# No PT_INTERP: statically linked.
	interp=$(patchelf --print-interpreter "$pkgroot/$src" 2>/dev/null) || return 0
	[ "$interp" = "$LDSO" ] || die "$src wants the dynamic loader $interp, not $LDSO: is it a $ARCH program?"
	install_needed "$pkgroot" "$root" "$src" "$pkgroot/$src"
	[ -e "$root/$LDSO_LINK" ] || die "$src needs the dynamic loader $LDSO, which no package brought"
}

# install_needed PKGROOT ROOT WHO FILE...: install what FILEs need (DT_NEEDED, transitively)
# into /usr/lib/MULTIARCH; a missing library names WHO.
install_needed() {
	local pkgroot=$1 root=$2 who=$3 file needed soname dir lib queue
	shift 3
	queue=("$@")
	while [ ${#queue[@]} -gt 0 ]; do
		file=${queue[0]}
		queue=("${queue[@]:1}")
		needed=$(patchelf --print-needed "$file") || die "cannot read the dynamic section of $file"
		for soname in $needed; do
			# Installed before: its own needs were followed then.
			[ ! -e "$root/usr/lib/$MULTIARCH/$soname" ] || continue
			lib=$(find_library "$pkgroot" "$soname") || die "$who needs $soname, found in no package (add it to packages.txt)"
			install -m 755 "$lib" "$root/usr/lib/$MULTIARCH/$soname"
			queue+=("$lib")
		done
	done
}

# find_library PKGROOT SONAME: the real file of SONAME in the unpacked packages.
find_library() {
	local dir
	for dir in lib/$MULTIARCH usr/lib/$MULTIARCH; do
		[ -e "$1/$dir/$2" ] && readlink -f "$1/$dir/$2" && return 0
	done
	return 1
}

# The libraries kolet (a Node.js single executable, uploaded by kola for native functions and
# check specs) links (what `patchelf --print-needed node` lists): with them the tiny image runs it too.
KOLET_LIBRARIES=(libdl.so.2 libpthread.so.0 libm.so.6 libstdc++.so.6 libgcc_s.so.1)

# install_libraries PKGROOT ROOT SONAME...: install libraries no program here links, and theirs.
install_libraries() {
	local pkgroot=$1 root=$2 soname lib
	shift 2
	for soname in "$@"; do
		lib=$(find_library "$pkgroot" "$soname") || die "$soname (for kolet) is in no package (add it to packages.txt)"
		install -m 755 "$lib" "$root/usr/lib/$MULTIARCH/$soname"
		install_needed "$pkgroot" "$root" "$soname" "$lib"
	done
}

install_programs() {
	local pkgroot=$1 root=$2
	install_program "$pkgroot" "$root" usr/sbin/dropbear usr/bin/dropbear
	install_program "$pkgroot" "$root" usr/bin/dropbearkey usr/bin/dropbearkey
	install_program "$pkgroot" "$root" usr/bin/dbclient usr/bin/dbclient
	# gojq, not jq 1.6: jq 1.6 needs ~0.5 s to start under TCG (compiling its builtins),
	# gojq ~0.05 s. Available as "jq" too.
	install_program "$pkgroot" "$root" usr/bin/gojq usr/bin/gojq
	ln -s gojq "$root/usr/bin/jq"
	# dropbear runs /usr/lib/sftp-server for the sftp subsystem (see `strings dropbear`).
	install_program "$pkgroot" "$root" usr/lib/openssh/sftp-server usr/lib/openssh/sftp-server
	ln -s openssh/sftp-server "$root/usr/lib/sftp-server"
}


# Copy the modules of modules.txt (modules-arm64.txt for arm64) to
# /usr/lib/modules/<kver>/<name>.ko (uncompressed: busybox insmod cannot read .ko.xz),
# checking each comes after the modules it depends on. /init reads the list as
# /usr/lib/mantle/modules.txt whatever the architecture.
install_modules() {
	local pkgroot=$1 root=$2 kver=$3 name pattern file dep loaded=" "
	local src=$pkgroot/lib/modules/$kver dest=$root/usr/lib/modules/$kver
	mkdir -p "$dest"
	for name in $(read_list "$HERE/$MODULES_FILE" | tr - _); do
		pattern=${name//_/[-_]} # file names use either
		file=$(find "$src" -regextype posix-extended -regex ".*/$pattern\.ko(\.xz|\.zst|\.gz)?" | head -n 1)
		if [ -z "$file" ]; then
			grep -q "/$pattern\.ko" "$src/modules.builtin" &&
				die "$MODULES_FILE: $name is built into kernel $kver, remove it from the list"
			die "$MODULES_FILE: module $name is not in $KERNEL_PACKAGE"
		fi
		case $file in
		*.xz) xz -dc "$file" >"$dest/$name.ko" ;;
		*.zst) zstd -qdc "$file" >"$dest/$name.ko" ;;
		*.gz) gzip -dc "$file" >"$dest/$name.ko" ;;
		*) cp "$file" "$dest/$name.ko" ;;
		esac
		for dep in $(module_depends "$dest/$name.ko"); do
			case $loaded in *" $dep "*) ;; *) die "$MODULES_FILE: $name needs $dep, list $dep before it" ;; esac
		done
		loaded="$loaded$name "
	done
	read_list "$HERE/$MODULES_FILE" >"$root/usr/lib/mantle/modules.txt"
	MODULES=$loaded
}

write_os_release() {
	local root=$1 key=$2 kver=$3 date
	date=$(date -u ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"} +%Y.%m.%d)
	VERSION_ID=$date
	cat >"$root/usr/lib/os-release" <<-EOF
		NAME="mantle tiny test OS"
		ID=mantle-tiny
		VERSION_ID=$date
		VERSION="$date ($key)"
		PRETTY_NAME="mantle tiny test OS $date"
		BUILD_ID=$key
		VARIANT="Debian bookworm kernel $kver, busybox, dropbear"
	EOF
	ln -s ../usr/lib/os-release "$root/etc/os-release"
}

install_overlay() {
	local root=$1
	cp -a "$HERE/rootfs/." "$root/"
	install_common_ignition "$root"
	# git keeps only the executable bit: restore the mode that matters.
	chmod 600 "$root/etc/shadow"
}


# cpio_char_device NAME MAJOR MINOR: a newc archive holding just one character device node
# (mode 0600, root). cpio cannot archive a node without creating it, which needs root; the
# kernel reads concatenated archives, so this one is appended to the main one.
cpio_char_device() {
	cpio_entry 1 $((8#020600)) 1 "$2" "$3" "$1"
	cpio_entry 0 0 1 0 0 'TRAILER!!!'
}

make_initramfs() {
	local root=$1 out=$2
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) >"$TMP/initrd.cpio"
	# The kernel opens /dev/console before running /init: without it, /init starts blind.
	cpio_char_device dev/console 5 1 >>"$TMP/initrd.cpio"
	INITRD_UNCOMPRESSED=$(stat -c %s "$TMP/initrd.cpio")
	gzip -9n <"$TMP/initrd.cpio" >"$out"
}

write_manifest() {
	local out=$1 key=$2 kver=$3 seconds=$4 first=true pkg
	{
		printf '{\n  "name": "tiny",\n  "arch": "%s",\n  "key": "%s",\n' "$QEMU_ARCH" "$key"
		printf '  "osRelease": {"ID": "mantle-tiny", "VERSION_ID": "%s"},\n' "$VERSION_ID"
		printf '  "kernel": {"version": "%s", "package": "%s", "packageVersion": "%s"},\n' \
			"$kver" "$KERNEL_PACKAGE" "$KERNEL_PACKAGE_VERSION"
		printf '  "files": {"kernel": "vmlinuz", "initrd": "initrd.img"},\n'
		printf '  "cmdline": "%s",\n' "$CMDLINE"
		printf '  "ignitionFwCfg": "opt/org.flatcar-linux/config",\n'
		printf '  "readyMarker": "%s",\n  "readyFile": "/run/mantle/ready",\n' "$READY_MARKER"
		printf '  "sshUser": "core",\n  "sshPort": 22,\n'
		printf '  "packages": ['
		for pkg in "${PACKAGES[@]}"; do
			$first || printf ','
			first=false
			printf '\n    {"name": "%s", "version": "%s"}' "${pkg%%=*}" "${pkg#*=}"
		done
		printf '\n  ],\n  "modules": ['
		first=true
		for pkg in $MODULES; do
			$first || printf ', '
			first=false
			printf '"%s"' "$pkg"
		done
		printf '],\n  "sizes": {"vmlinuz": %s, "initrd.img": %s, "initrdUncompressed": %s},\n' \
			"$(stat -c %s "$out/vmlinuz")" "$(stat -c %s "$out/initrd.img")" "$INITRD_UNCOMPRESSED"
		printf '  "buildSeconds": %s,\n  "builtAt": "%s"\n}\n' "$seconds" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	} >"$out/manifest.json"
}


build() {
	local key=$1 final=$2 start pkgroot root out kver seconds
	start=$(date +%s.%N)
	mkdir -p "$IMAGES_DIR"
	TMP=$(mktemp -d "$IMAGES_DIR/.$IMAGE_NAME-$key.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	pkgroot=$TMP/packages root=$TMP/rootfs out=$TMP/out
	mkdir -p "$out"

	say "downloading ${#PACKAGES[@]} packages (kernel $KERNEL_PACKAGE $KERNEL_PACKAGE_VERSION)"
	download_packages "$TMP/debs" "$pkgroot"
	kver=${KERNEL_PACKAGE#linux-image-}
	[ -d "$pkgroot/lib/modules/$kver" ] || die "$KERNEL_PACKAGE has no lib/modules/$kver"

	say "assembling the initramfs"
	make_skeleton "$root"
	install_busybox "$pkgroot" "$root"
	install_programs "$pkgroot" "$root"
	install_libraries "$pkgroot" "$root" "${KOLET_LIBRARIES[@]}"
	install_overlay "$root"
	install_modules "$pkgroot" "$root" "$kver"
	write_os_release "$root" "$key" "$kver"
	make_initramfs "$root" "$out/initrd.img"
	cp "$pkgroot/boot/vmlinuz-$kver" "$out/vmlinuz"

	seconds=$(echo "$start $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}')
	write_manifest "$out" "$key" "$kver" "$seconds"
	KEY=$key publish "$out" "$final"
	say "built in ${seconds}s: vmlinuz $(du -h "$final/vmlinuz" | cut -f1)," \
		"initrd.img $(du -h "$final/initrd.img" | cut -f1) ($((INITRD_UNCOMPRESSED / 1024)) KiB uncompressed)"
}

main() {
	local key final
	ORIG_ARGS=("$@")
	take_arch_arg "$@"
	parse_args ${ARGS[@]+"${ARGS[@]}"}
	check_host_tools
	setup_foreign_apt
	resolve_packages
	key=$(compute_key)
	if $PRINT_KEY; then
		echo "$key"
		return
	fi
	final=$IMAGES_DIR/$IMAGE_NAME-$key
	if [ -f "$final/manifest.json" ] && ! $FORCE; then
		say "cached"
		ln -sfn "$IMAGE_NAME-$key" "$IMAGES_DIR/$IMAGE_NAME-latest"
	else
		build "$key" "$final"
	fi
	echo "$final"
}

main "$@"
