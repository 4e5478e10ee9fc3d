#!/usr/bin/env bash
# Build the mantle "tiny" test OS: the Debian cloud kernel plus an initramfs holding busybox,
# dropbear (SSH), gojq and a small Ignition implementation (see README.md).
#
# Everything comes from Debian bookworm packages fetched with `apt-get download` and unpacked
# with `dpkg-deb -x`: no root, no chroot, no mounts, nothing installed on the host.
#
# The result is cached in ${MANTLE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/mantle}/images/:
#   tiny-<key>/{vmlinuz,initrd.img,manifest.json}   key = hash of package versions + our files
#   tiny-latest -> tiny-<key>
# A cached build is reused as is. The cache directory is the only line printed on stdout:
#   DIR=$(images/tiny/build.sh)
#
# Usage: build.sh [--force] [--print-key]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE_NAME=tiny
# shellcheck source=../common/lib.sh
. "$HERE/../common/lib.sh"
CACHE_ROOT=${MANTLE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mantle}
IMAGES_DIR=$CACHE_ROOT/images
KERNEL_META=linux-image-cloud-amd64
MULTIARCH=x86_64-linux-gnu
# Kernel command line for the image (the manifest tells kola). loglevel=4 keeps the boot
# quiet but still shows errors, warnings ("WARNING: CPU:"), Oopses and panics.
# cryptomgr.notests skips the crypto self-tests: ~0.6 s of CPU under TCG, 15% of the boot.
CMDLINE="console=ttyS0 loglevel=4 cryptomgr.notests"
READY_MARKER="mantle-tiny: ready"

# Files whose content defines the image (hashed into the cache key, besides package versions).
INPUT_FILES=(build.sh packages.txt modules.txt)

TMP=""


cleanup() { [ -z "$TMP" ] || rm -rf "$TMP"; }


check_host_tools() {
	require_tools "apt dpkg cpio gzip" apt-get apt-cache dpkg-deb cpio gzip sha256sum find sort
	[ "$(uname -m)" = x86_64 ] || die "the tiny image is amd64 only and build.sh runs its binaries' ld.so"
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

# 16 hex digits of sha256 over the resolved packages and the content of our input files.
compute_key() {
	{
		printf 'package %s\n' "${PACKAGES[@]}"
		# shellcheck disable=SC2046 # file names without spaces, one word each
		hash_inputs "$HERE" "${INPUT_FILES[@]}" $(cd "$HERE" && find rootfs -type f -o -type l | LC_ALL=C sort)
		hash_common_inputs
	} | sha256sum | cut -c1-16
}



# Merged-/usr layout: every program in /usr/bin, every library in /usr/lib/<multiarch>.
make_skeleton() {
	local root=$1 dir
	for dir in usr/bin usr/lib/$MULTIARCH usr/lib64 usr/lib/mantle etc/dropbear etc/mantle \
		dev proc sys run tmp root home/core var/log mnt; do
		mkdir -p "$root/$dir"
	done
	ln -s usr/bin "$root/bin"
	ln -s usr/bin "$root/sbin"
	ln -s bin "$root/usr/sbin"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	ln -s ../run "$root/var/run"
	ln -s "../lib/$MULTIARCH/ld-linux-x86-64.so.2" "$root/usr/lib64/ld-linux-x86-64.so.2"
	chmod 700 "$root/root"
	chmod 1777 "$root/tmp"
}

install_busybox() {
	local pkgroot=$1 root=$2 applet
	install -m 755 "$pkgroot/bin/busybox" "$root/usr/bin/busybox"
	for applet in $("$pkgroot/bin/busybox" --list); do
		case $applet in busybox | linuxrc) continue ;; esac
		ln -s busybox "$root/usr/bin/$applet"
	done
}

# install_program PKGROOT ROOT SRC DEST: copy a program and, if it is dynamically linked,
# every shared library it needs. Libraries are resolved by the packages' own ld.so against
# the unpacked packages only; one found elsewhere (on the host) means packages.txt lacks a
# package.
install_program() {
	local pkgroot=$1 root=$2 src=$3 dest=$4 ldso libpath soname arrow path _
	ldso=$pkgroot/lib/$MULTIARCH/ld-linux-x86-64.so.2
	libpath=$pkgroot/lib/$MULTIARCH:$pkgroot/usr/lib/$MULTIARCH
	[ -f "$pkgroot/$src" ] || die "$src is not in the downloaded packages"
	install -D -m 755 "$pkgroot/$src" "$root/$dest"
	"$ldso" --verify "$pkgroot/$src" || return 0 # statically linked
	"$ldso" --inhibit-cache --library-path "$libpath" --list "$pkgroot/$src" >"$TMP/ldd" ||
		die "cannot list the libraries of $src"
	while read -r soname arrow path _; do
		[ "$arrow" = "=>" ] || continue # linux-vdso.so.1 (0x...)
		case $soname in */ld-linux-x86-64.so.2) soname=ld-linux-x86-64.so.2 ;; esac
		case $path in
		"$pkgroot"/*) ;;
		not) die "$src needs $soname, found in no package (add it to packages.txt)" ;;
		*) die "$src needs $soname, found only on the host at $path (add its package to packages.txt)" ;;
		esac
		[ -e "$root/usr/lib/$MULTIARCH/$soname" ] ||
			install -m 755 "$(readlink -f "$path")" "$root/usr/lib/$MULTIARCH/$soname"
	done <"$TMP/ldd"
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


# Copy the modules of modules.txt to /usr/lib/modules/<kver>/<name>.ko (uncompressed: busybox
# insmod cannot read .ko.xz), checking each comes after the modules it depends on.
install_modules() {
	local pkgroot=$1 root=$2 kver=$3 name pattern file dep loaded=" "
	local src=$pkgroot/lib/modules/$kver dest=$root/usr/lib/modules/$kver
	mkdir -p "$dest"
	for name in $(read_list "$HERE/modules.txt" | tr - _); do
		pattern=${name//_/[-_]} # file names use either
		file=$(find "$src" -regextype posix-extended -regex ".*/$pattern\.ko(\.xz|\.zst|\.gz)?" | head -n 1)
		if [ -z "$file" ]; then
			grep -q "/$pattern\.ko" "$src/modules.builtin" &&
				die "modules.txt: $name is built into kernel $kver, remove it from the list"
			die "modules.txt: module $name is not in $KERNEL_PACKAGE"
		fi
		case $file in
		*.xz) xz -dc "$file" >"$dest/$name.ko" ;;
		*.zst) zstd -qdc "$file" >"$dest/$name.ko" ;;
		*.gz) gzip -dc "$file" >"$dest/$name.ko" ;;
		*) cp "$file" "$dest/$name.ko" ;;
		esac
		for dep in $(module_depends "$dest/$name.ko"); do
			case $loaded in *" $dep "*) ;; *) die "modules.txt: $name needs $dep, list $dep before it" ;; esac
		done
		loaded="$loaded$name "
	done
	read_list "$HERE/modules.txt" >"$root/usr/lib/mantle/modules.txt"
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
		printf '{\n  "name": "tiny",\n  "key": "%s",\n' "$key"
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
	TMP=$(mktemp -d "$IMAGES_DIR/.tiny-$key.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	pkgroot=$TMP/packages root=$TMP/rootfs out=$TMP/out
	mkdir -p "$out"

	say "downloading ${#PACKAGES[@]} packages (kernel $KERNEL_PACKAGE $KERNEL_PACKAGE_VERSION)"
	download_and_extract "$TMP/debs" "$pkgroot" "${PACKAGES[@]}"
	kver=${KERNEL_PACKAGE#linux-image-}
	[ -d "$pkgroot/lib/modules/$kver" ] || die "$KERNEL_PACKAGE has no lib/modules/$kver"

	say "assembling the initramfs"
	make_skeleton "$root"
	install_busybox "$pkgroot" "$root"
	install_programs "$pkgroot" "$root"
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
	parse_args "$@"
	check_host_tools
	resolve_packages
	key=$(compute_key)
	if $PRINT_KEY; then
		echo "$key"
		return
	fi
	final=$IMAGES_DIR/tiny-$key
	if [ -f "$final/manifest.json" ] && ! $FORCE; then
		say "cached"
		ln -sfn "tiny-$key" "$IMAGES_DIR/tiny-latest"
	else
		build "$key" "$final"
	fi
	echo "$final"
}

main "$@"
