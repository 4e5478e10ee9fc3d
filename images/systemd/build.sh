#!/usr/bin/env bash
# Build the mantle "systemd" test image: a Debian bookworm OS with systemd, journald and
# OpenSSH on Flatcar's disk layout (GPT: EFI-SYSTEM, BIOS-BOOT, USR-A, USR-B, OEM, OEM-CONFIG,
# ROOT), /usr on USR-A mounted read-only, and a busybox initramfs that applies Ignition from
# qemu's fw_cfg on the first boot (see README.md).
#
# Steps: mmdebstrap makes the rootfs (cached as a tarball keyed by the package index and
# packages.txt) -> customized in place (users, units, modules, os-release) -> the initramfs
# (busybox, gojq, /init) -> the disk, laid out by @mantle/core (packages/core/dist: run
# `pnpm build` first) with ext4 made by mke2fs -d -> qcow2.
#
# Needs root (mmdebstrap --mode=root, chroot for useradd/systemctl/depmod; no mounts or loop
# devices of its own) and: mmdebstrap, apt, dpkg, cpio, gzip, zstd, e2fsprogs, dosfstools,
# mtools, qemu-utils, node. Current package lists (apt-get update): mmdebstrap installs
# exactly the versions in the host's lists (--skip=update), so the key below pins them.
#
# The result is cached in ${MANTLE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/mantle}/images/:
#   systemd-<key>/{vmlinuz,initrd.img,disk.qcow2,manifest.json}
#   systemd-latest -> systemd-<key>
# A cached build is reused as is. The image directory is the only line printed on stdout:
#   DIR=$(images/systemd/build.sh)
#
# Usage: build.sh [--force] [--print-key]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
IMAGE_NAME=systemd
# shellcheck source-path=SCRIPTDIR source=../common/lib.sh
. "$HERE/../common/lib.sh"
CORE_DIST=$REPO/packages/core/dist/index.js
CACHE_ROOT=${MANTLE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mantle}
IMAGES_DIR=$CACHE_ROOT/images
ROOTFS_CACHE=$IMAGES_DIR/.systemd-rootfs
SUITE=bookworm
KERNEL_META=linux-image-cloud-amd64
LAYOUT=vm
# Kernel command line (the manifest tells kola). net.ifnames=0: the first NIC is eth0, which
# the image's default .network configures. loglevel=4 keeps errors, warnings and panics.
# The rest makes a TCG boot cheaper (see README.md, "Boot time"): quiet (systemd prints status
# lines only for failures and slow jobs: every console byte is an emulated UART write),
# 8250.nr_uarts=1 (probe one UART, not 32), tsc=reliable (keep the TSC as clocksource: the
# fallback, HPET, is an MMIO exit on every clock read), mitigations=off (no speculation
# mitigations in a throwaway test VM: retpolines and RSB fills are emulated too), no_timer_check
# (a loaded TCG host can miss the early IO-APIC timer check and panic: "IO-APIC + timer doesn't work").
CMDLINE="console=ttyS0 root=PARTLABEL=ROOT mount.usr=PARTLABEL=USR-A net.ifnames=0 loglevel=4 quiet 8250.nr_uarts=1 tsc=reliable mitigations=off no_timer_check"
READY_MARKER="mantle-systemd: ready"

# Files whose content defines the image (hashed into the cache key, with the package index).
INPUT_FILES=(build.sh packages.txt initramfs-modules.txt make-disk.mjs)

# Kernel module directories (below kernel/) left out of the rootfs: hardware a qemu test VM
# never has. Everything else (file systems, netfilter, virtio, dm, ...) is there for tests.
MODULES_EXCLUDE=(drivers/infiniband drivers/comedi drivers/target drivers/media drivers/hid
	drivers/soundwire drivers/staging drivers/gpu drivers/isdn sound net/wireless)

# Units enabled besides what the packages enable; timers that would fetch from the network
# or churn the disk in a test VM are disabled.
# systemd-sysext merges /etc/extensions at boot (Debian ships it disabled); systemd 252 does not
# reload itself after the merge, mantle-sysext-reload does (see its unit).
ENABLE_UNITS=(systemd-networkd.service mantle-ignition-check.service mantle-ready.service
	systemd-sysext.service mantle-sysext-reload.service)
# Besides the timers: units a test VM does not need on every boot, each a process start (0.2-4 s
# under TCG) before `systemctl is-system-running --wait` says running. e2scrub_reap runs e2scrub
# at idle priority (minutes under a busy TCG host); systemd-networkd-wait-online would hold
# network-online.target (a test that needs it enables it); systemd-network-generator reads
# network settings from the kernel command line (there are none); systemd-pstore archives
# crash dumps (none on a fresh VM); getty@ gives VTs login prompts (no passwords exist).
DISABLE_UNITS=(apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer
	fstrim.timer e2scrub_reap.service systemd-networkd-wait-online.service
	systemd-network-generator.service systemd-pstore.service getty@.service)
# Masked: modprobe@drm and modprobe@efi_pstore load modules for hardware the VM lacks (no GPU;
# UEFI boots still get efi_pstore when the efivarfs needs it).
MASK_UNITS=(modprobe@drm.service modprobe@efi_pstore.service)
# Generators that run before systemd loads its units (all of them, on every boot and every
# daemon-reload) and find nothing to do here: sysv (the packages' /etc/init.d scripts all have
# units), getty (a serial login prompt on ttyS0: no passwords exist, and kola's console stays
# free of agetty's output), gpt-auto (it would automount the ESP on /boot; the initramfs mounts
# what the image uses), hibernate-resume (no swap). Masked by /etc/systemd/system-generators/
# symlinks to /dev/null, systemd's documented way.
MASK_GENERATORS=(systemd-sysv-generator systemd-getty-generator systemd-gpt-auto-generator
	systemd-hibernate-resume-generator)

TMP=""


# Remove the temp dir. mmdebstrap mounts inside its chroot while it runs; if it was killed,
# unmount what is left under $TMP first, and never cross into another file system.
cleanup() {
	[ -n "$TMP" ] && [ -d "$TMP" ] || return 0
	local mnt
	awk -v t="$TMP/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
	rm -rf --one-file-system "$TMP"
}


check_host() {
	require_tools "mmdebstrap apt dpkg cpio gzip zstd tar e2fsprogs dosfstools mtools qemu-utils grub-common; node 20" \
		mmdebstrap apt-get apt-cache dpkg-deb cpio gzip zstd tar mke2fs mkfs.vfat mcopy qemu-img node sha256sum chroot grub-mkimage
	[ "$(uname -m)" = x86_64 ] || die "the systemd image is amd64 only"
}

# Build-time requirements that --print-key does not need.
check_build_host() {
	[ "$(id -u)" -eq 0 ] || die "needs root: mmdebstrap --mode=root and chroot (run as root, e.g. in CI)"
	[ -f "$CORE_DIST" ] || die "$CORE_DIST is missing: run \`pnpm install && pnpm build\` first (the disk layout comes from @mantle/core)"
	[ -d /usr/share/mmdebstrap/hooks/merged-usr ] || die "mmdebstrap's merged-usr hook is missing (mmdebstrap >= 1.0 needed)"
}


# Sets SOURCES (the host's apt source files for $SUITE) and LISTS (their index files in
# /var/lib/apt/lists: InRelease and Packages). The mirror is never hard-coded.
find_sources() {
	local file uri mangled found
	SOURCES=() LISTS=()
	for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -s "$file" ] || continue
		grep -Eq "^[[:space:]]*(Suites:.*[[:space:]]$SUITE(-[a-z]+)?([[:space:]]|$)|deb[[:space:]].*[[:space:]]$SUITE(-[a-z]+)?[[:space:]])" "$file" ||
			continue
		SOURCES+=("$file")
		# URIs: lines may hold several URIs; one-line "deb [opts] URI suite..." one each
		while read -r uri; do
			mangled=${uri#*://}
			mangled=${mangled%/}
			mangled=${mangled//\//_}
			mapfile -t found < <(find /var/lib/apt/lists -maxdepth 1 -type f \
				\( -name "${mangled}_dists_${SUITE}*_InRelease" \
				-o -name "${mangled}_dists_${SUITE}*_binary-amd64_Packages*" \) | LC_ALL=C sort)
			LISTS+=("${found[@]}")
		done < <(sed -n -e 's/^[[:space:]]*URIs:[[:space:]]*//p' \
			-e 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*\).*/\2/p' "$file" |
			tr ' ' '\n' | sed '/^$/d')
	done
	[ ${#SOURCES[@]} -gt 0 ] || die "no apt source for $SUITE in /etc/apt/sources.list{,.d} (this builds a Debian $SUITE image)"
	[ ${#LISTS[@]} -gt 0 ] || die "no package lists for $SUITE in /var/lib/apt/lists: run apt-get update"
}

# Sets PACKAGES (name=version of the kernel, busybox-static, gojq, systemd-boot-efi and grub-pc-bin, which
# build.sh unpacks itself), KERNEL_PACKAGE, KERNEL_VERSION (uname -r) and INCLUDES.
resolve_packages() {
	KERNEL_PACKAGE=$(kernel_package_of "$KERNEL_META")
	KERNEL_VERSION=${KERNEL_PACKAGE#linux-image-}
	mapfile -t INCLUDES < <(read_list "$HERE/packages.txt")
	resolve_versions "$KERNEL_PACKAGE" busybox-static gojq systemd-boot-efi grub-pc-bin "${INCLUDES[@]}"
}

# The mmdebstrap invocation (without the output path); its text is part of the rootfs key.
mmdebstrap_args() {
	local lists_hook
	# Install exactly what the host's lists say (they are hashed into the key): copy them in
	# and skip mmdebstrap's own apt-get update. \$1 is the chroot, for the hook's shell.
	lists_hook="mkdir -p \"\$1/var/lib/apt/lists\" && cp -p$(printf ' %q' "${LISTS[@]}") \"\$1/var/lib/apt/lists/\""
	MMDEBSTRAP_ARGS=(--variant=minbase --mode=root --quiet
		--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
		--skip=update --setup-hook="$lists_hook"
		--dpkgopt=force-unsafe-io
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
		--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*'
		--dpkgopt='path-include=/usr/share/doc/*/copyright'
		--include="$(
			IFS=,
			echo "${INCLUDES[*]}"
		)"
		"$SUITE")
}

# rootfs key: the package index files and the mmdebstrap invocation.
compute_rootfs_key() {
	{
		printf 'list %s %s\n' "${LISTS[@]##*/}"
		sha256sum "${LISTS[@]}" | cut -d' ' -f1
		printf 'arg %s\n' "${MMDEBSTRAP_ARGS[@]}"
		printf 'source %s\n' "${SOURCES[@]}"
		cat "${SOURCES[@]}"
	} | sha256sum | cut -c1-16
}

# image key: the rootfs key, the packages unpacked here, and the content (and executable bit)
# of our build files, the overlay, the initramfs files and the shared tiny scripts.
compute_key() {
	{
		printf 'rootfs %s\n' "$ROOTFS_KEY"
		printf 'package %s\n' "${PACKAGES[@]}"
		# shellcheck disable=SC2046 # file names without spaces, one word each
		hash_inputs "$HERE" "${INPUT_FILES[@]}" $(cd "$HERE" && find rootfs initramfs -type f -o -type l | LC_ALL=C sort)
		hash_common_inputs
	} | sha256sum | cut -c1-16
}

# Make (or reuse) the mmdebstrap tarball. Only the newest one is kept.
build_rootfs_tarball() {
	local tarball=$ROOTFS_CACHE/$ROOTFS_KEY.tar.zst start
	ROOTFS_TARBALL=$tarball
	if [ -f "$tarball" ]; then
		say "rootfs: cached ($ROOTFS_KEY)"
		return
	fi
	mkdir -p "$ROOTFS_CACHE"
	say "rootfs: mmdebstrap $SUITE minbase + ${#INCLUDES[@]} packages (from ${SOURCES[*]})"
	start=$(date +%s)
	# mmdebstrap's own temp chroot goes into our temp dir, so an interrupt leaves nothing.
	if ! TMPDIR=$TMP mmdebstrap "${MMDEBSTRAP_ARGS[@]}" "$TMP/rootfs.tar.zst" "${SOURCES[@]}" \
		>"$TMP/mmdebstrap.log" 2>&1; then
		tail -n 30 "$TMP/mmdebstrap.log" >&2
		die "mmdebstrap failed (stale package lists? run apt-get update)"
	fi
	mv "$TMP/rootfs.tar.zst" "$tarball"
	find "$ROOTFS_CACHE" -maxdepth 1 -name '*.tar.zst' ! -name "$ROOTFS_KEY.tar.zst" -delete
	say "rootfs: made in $(($(date +%s) - start))s, $(du -h "$tarball" | cut -f1)"
}



# find_module NAME: the .ko file of NAME in the unpacked kernel package
find_module() {
	local pattern=${1//_/[-_]}
	find "$PKGROOT/lib/modules/$KERNEL_VERSION" -regextype posix-extended -regex ".*/$pattern\.ko(\.xz|\.zst)?" | head -n 1
}

copy_module() {
	case $1 in
	*.xz) xz -dc "$1" >"$2" ;;
	*.zst) zstd -qdc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# --- the rootfs --------------------------------------------------------------------------------

customize_rootfs() {
	local r=$1 file unit epoch=$BUILD_EPOCH
	say "customizing the rootfs"
	# mmdebstrap copies the build host's hostname and resolv.conf, and openssh-server made
	# host keys that every machine would share.
	echo localhost >"$r/etc/hostname"
	echo "nameserver 10.0.2.3" >"$r/etc/resolv.conf"
	rm -f "$r"/etc/ssh/ssh_host_*
	: >"$r/etc/machine-id"
	rm -rf "$r"/var/log/apt/* "$r"/var/log/dpkg.log "$r"/var/log/alternatives.log "$r"/var/cache/apt/*.bin

	cp -a "$HERE/rootfs/." "$r/"
	chmod 0440 "$r/etc/sudoers.d/mantle"
	install_common_ignition "$r"

	# core: uid 500 as on Flatcar, in sudo and wheel (NOPASSWD sudo), adm and systemd-journal
	# (journalctl without sudo). "*": no password login, key logins allowed.
	chroot "$r" groupadd -r wheel
	chroot "$r" groupadd -g 500 core
	chroot "$r" useradd -K UID_MIN=500 -u 500 -g core -m -s /bin/bash -c "mantle test user" \
		-G sudo,wheel,adm,systemd-journal core
	chroot "$r" usermod -p '*' core
	mkdir -p "$r/oem" "$r/var/log/journal"

	for unit in "${ENABLE_UNITS[@]}"; do
		chroot "$r" systemctl enable --quiet "$unit"
	done
	for unit in "${DISABLE_UNITS[@]}"; do
		[ ! -e "$r/usr/lib/systemd/system/$unit" ] || chroot "$r" systemctl disable --quiet "$unit"
	done
	for unit in "${MASK_UNITS[@]}"; do
		chroot "$r" systemctl mask --quiet "$unit"
	done
	mkdir -p "$r/etc/systemd/system-generators"
	for file in "${MASK_GENERATORS[@]}"; do
		[ -e "$r/usr/lib/systemd/system-generators/$file" ] || die "no generator $file in systemd $SYSTEMD_VERSION"
		ln -sfn /dev/null "$r/etc/systemd/system-generators/$file"
	done
	chroot "$r" systemctl is-enabled --quiet ssh.service || die "ssh.service is not enabled in the rootfs"

	install_kernel_modules "$r"
	write_os_release "$r"

	# ConditionNeedsUpdate: systemd rebuilds the hwdb, ld.so.cache and journal catalog on a boot
	# where /usr is newer than /etc/.updated (slow under TCG). They were made by the package
	# scripts, so mark them up to date: USR-A's root gets mtime $epoch (E2FSPROGS_FAKE_TIME),
	# the stamps a later one.
	for file in "$r/etc/.updated" "$r/var/.updated"; do
		printf '# mantle systemd image build\nTIMESTAMP_NSEC=%s000000000\n' "$epoch" >"$file"
		touch -d "@$((epoch + 1))" "$file"
	done
}

install_kernel_modules() {
	local r=$1 src=$PKGROOT/lib/modules/$KERNEL_VERSION dest excl
	dest=$r/usr/lib/modules/$KERNEL_VERSION
	mkdir -p "$dest"
	cp -a "$src/." "$dest/"
	for excl in "${MODULES_EXCLUDE[@]}"; do
		rm -rf "${dest:?}/kernel/$excl"
	done
	rm -f "$dest/build" "$dest/source"
	chroot "$r" depmod "$KERNEL_VERSION"
}

write_os_release() {
	local r=$1 date
	date=$(date -u -d "@$BUILD_EPOCH" +%Y.%m.%d)
	VERSION_ID=$date
	rm -f "$r/usr/lib/os-release"
	cat >"$r/usr/lib/os-release" <<-EOF
		NAME="mantle systemd test OS"
		ID=mantle-systemd
		ID_LIKE=debian
		VERSION_ID=$date
		VERSION="$date ($KEY)"
		VERSION_CODENAME=$SUITE
		PRETTY_NAME="mantle systemd test OS $date (Debian $SUITE)"
		BUILD_ID=$KEY
		SYSEXT_LEVEL=1.0
		VARIANT="Debian $SUITE, systemd $SYSTEMD_VERSION, kernel $KERNEL_VERSION"
	EOF
	ln -sfn ../usr/lib/os-release "$r/etc/os-release"
}

# --- the initramfs -----------------------------------------------------------------------------


make_initramfs() {
	local root=$TMP/initramfs out=$1 name file dep loaded=" " applet dir
	say "assembling the initramfs"
	for dir in usr/bin usr/lib/mantle "usr/lib/modules/$KERNEL_VERSION" dev proc sys run tmp newroot; do
		mkdir -p "$root/$dir"
	done
	ln -s usr/bin "$root/bin"
	ln -s usr/bin "$root/sbin"
	ln -s usr/lib "$root/lib"
	install -m 0755 "$PKGROOT/bin/busybox" "$root/usr/bin/busybox"
	for applet in $("$PKGROOT/bin/busybox" --list); do
		case $applet in busybox | linuxrc) continue ;; esac
		ln -s busybox "$root/usr/bin/$applet"
	done
	install -m 0755 "$PKGROOT/usr/bin/gojq" "$root/usr/bin/gojq"
	install -m 0755 "$HERE/initramfs/init" "$root/init"
	for name in $(read_list "$HERE/initramfs-modules.txt" | tr - _); do
		file=$(find_module "$name")
		[ -n "$file" ] || die "initramfs-modules.txt: $name is not a module of $KERNEL_PACKAGE (built in?)"
		copy_module "$file" "$root/usr/lib/modules/$KERNEL_VERSION/$name.ko"
		for dep in $(module_depends "$root/usr/lib/modules/$KERNEL_VERSION/$name.ko"); do
			case $loaded in *" $dep "*) ;; *) die "initramfs-modules.txt: $name needs $dep, list $dep before it" ;; esac
		done
		loaded="$loaded$name "
	done
	read_list "$HERE/initramfs-modules.txt" | tr - _ >"$root/usr/lib/mantle/modules.txt"
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) >"$TMP/initrd.cpio"
	# The kernel opens /dev/console before /init runs; making the node needs root, so it is a
	# hand-written second archive (the kernel reads concatenated archives).
	{
		cpio_entry 1 $((8#020600)) 1 5 1 dev/console
		cpio_entry 0 0 1 0 0 'TRAILER!!!'
	} >>"$TMP/initrd.cpio"
	gzip -6n <"$TMP/initrd.cpio" >"$out"
	rm -f "$TMP/initrd.cpio"
}

# --- the EFI system partition (UEFI boot with systemd-boot, BIOS boot with GRUB) ---------------

make_esp() {
	local esp=$1
	mkdir -p "$esp/EFI/BOOT" "$esp/loader/entries" "$esp/mantle"
	install -m 0644 "$PKGROOT/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
	install -m 0644 "$OUT/vmlinuz" "$esp/mantle/vmlinuz"
	install -m 0644 "$OUT/initrd.img" "$esp/mantle/initrd.img"
	printf 'default mantle.conf\ntimeout 0\neditor no\n' >"$esp/loader/loader.conf"
	cat >"$esp/loader/entries/mantle.conf" <<-EOF
		title   mantle systemd test OS $VERSION_ID
		linux   /mantle/vmlinuz
		initrd  /mantle/initrd.img
		options $CMDLINE
	EOF
	# BIOS: GRUB's core.img (in BIOS-BOOT, see make_grub_core) reads this; same kernel and
	# command line. GRUB talks on the serial console too, so kola's console.txt shows it.
	mkdir -p "$esp/grub"
	cat >"$esp/grub/grub.cfg" <<-EOF
		serial --unit=0 --speed=115200
		terminal_input serial console
		terminal_output serial console
		set timeout=0
		menuentry "mantle systemd test OS $VERSION_ID" {
		  linux /mantle/vmlinuz $CMDLINE
		  initrd /mantle/initrd.img
		}
	EOF
}

# GRUB's core.img for BIOS boot, with the modules it needs built in and its prefix on the ESP
# (partition 1). make-disk.mjs puts it into BIOS-BOOT and boot.img's code into the MBR.
make_grub_core() {
	local out=$1
	grub-mkimage -O i386-pc -d "$PKGROOT/usr/lib/grub/i386-pc" -o "$out" -p '(hd0,gpt1)/grub' \
		biosdisk part_gpt fat normal linux configfile serial terminal echo test ||
		die "grub-mkimage failed"
}

# --- the disk ----------------------------------------------------------------------------------

make_disk() {
	local r=$1 usr=$TMP/usr raw=$TMP/disk.raw
	say "laying out the disk ($LAYOUT layout) and making ext4 file systems"
	# /usr goes to USR-A; ROOT keeps an empty usr/ to mount it on.
	mv "$r/usr" "$usr"
	mkdir -m 0755 "$r/usr"
	make_esp "$TMP/esp"
	make_grub_core "$TMP/grub-core.img"
	E2FSPROGS_FAKE_TIME=$BUILD_EPOCH node "$HERE/make-disk.mjs" --layout "$LAYOUT" --out "$raw" \
		--root "$r" --usr "$usr" --esp "$TMP/esp" \
		--grub-core "$TMP/grub-core.img" --grub-boot "$PKGROOT/usr/lib/grub/i386-pc/boot.img" >"$TMP/disk.json" ||
		die "making the disk failed"
	USR_BYTES=$(du -sb "$usr" | cut -f1)
	ROOT_BYTES=$(du -sb "$r" | cut -f1)
	say "converting to qcow2"
	qemu-img convert -f raw -O qcow2 "$raw" "$OUT/disk.qcow2"
	rm -f "$raw"
}

# --- manifest and publishing -------------------------------------------------------------------

write_manifest() {
	local out=$1 seconds=$2
	# dpkg's view of the rootfs (the USR-A copy holds /usr, ROOT /var/lib/dpkg)
	node - "$out" "$seconds" "$TMP/disk.json" "$TMP/dpkg.txt" <<-EOF
		const fs = require('node:fs');
		const [out, seconds, diskJson, dpkgTxt] = process.argv.slice(2);
		const size = (f) => fs.statSync(out + '/' + f).size;
		const disk = JSON.parse(fs.readFileSync(diskJson, 'utf8'));
		const packages = fs.readFileSync(dpkgTxt, 'utf8').trim().split('\n')
		  .map((l) => l.split('\t')).map(([name, version]) => ({ name, version }));
		const manifest = {
		  name: 'systemd',
		  key: '$KEY',
		  rootfsKey: '$ROOTFS_KEY',
		  osRelease: { ID: 'mantle-systemd', ID_LIKE: 'debian', VERSION_ID: '$VERSION_ID' },
		  kernel: { version: '$KERNEL_VERSION', package: '$KERNEL_PACKAGE', packageVersion: '${PACKAGES[0]#*=}' },
		  systemd: '$SYSTEMD_VERSION',
		  files: { kernel: 'vmlinuz', initrd: 'initrd.img', disk: 'disk.qcow2' },
		  diskFormat: 'qcow2',
		  cmdline: '$CMDLINE',
		  uefi: { loader: 'systemd-boot', entry: 'loader/entries/mantle.conf' },
		  bios: { loader: 'grub', config: 'grub/grub.cfg' },
		  ignitionFwCfg: 'opt/org.flatcar-linux/config',
		  firstBootMarker: '/etc/.ignition-done',
		  readiness: 'systemd',
		  readyMarker: '$READY_MARKER',
		  readyFile: '/run/mantle/ready',
		  sshUser: 'core',
		  sshPort: 22,
		  layout: disk.layout,
		  partitions: disk.partitions,
		  packages,
		  sizes: {
		    vmlinuz: size('vmlinuz'), 'initrd.img': size('initrd.img'), 'disk.qcow2': size('disk.qcow2'),
		    diskVirtual: disk.size, usrBytes: $USR_BYTES, rootBytes: $ROOT_BYTES,
		  },
		  buildSeconds: Number(seconds),
		  builtAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
		};
		fs.writeFileSync(out + '/manifest.json', JSON.stringify(manifest, null, 2) + '\n');
	EOF
}


build() {
	local final=$1 start seconds r
	start=$(date +%s.%N)
	BUILD_EPOCH=${SOURCE_DATE_EPOCH:-$(date +%s)}
	check_build_host
	mkdir -p "$IMAGES_DIR"
	TMP=$(mktemp -d "$IMAGES_DIR/.$IMAGE_NAME-$KEY.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	OUT=$TMP/out PKGROOT=$TMP/packages r=$TMP/rootfs
	mkdir -p "$OUT" "$r"

	build_rootfs_tarball
	say "downloading the kernel ($KERNEL_PACKAGE), busybox-static, gojq, systemd-boot-efi, grub-pc-bin"
	# the packages build.sh unpacks itself (the rest is installed by mmdebstrap)
	download_and_extract "$TMP/debs" "$PKGROOT" "${PACKAGES[@]:0:5}"
	[ -d "$PKGROOT/lib/modules/$KERNEL_VERSION" ] || die "$KERNEL_PACKAGE has no lib/modules/$KERNEL_VERSION"
	cp "$PKGROOT/boot/vmlinuz-$KERNEL_VERSION" "$OUT/vmlinuz"

	tar --zstd --numeric-owner --xattrs --xattrs-include='*' -xpf "$ROOTFS_TARBALL" -C "$r"
	# shellcheck disable=SC2016 # dpkg-query formats
	SYSTEMD_VERSION=$(chroot "$r" dpkg-query -W -f '${Version}' systemd)
	customize_rootfs "$r"
	# shellcheck disable=SC2016
	chroot "$r" dpkg-query -W -f '${Package}\t${Version}\n' | LC_ALL=C sort >"$TMP/dpkg.txt"
	make_initramfs "$OUT/initrd.img"
	make_disk "$r"

	seconds=$(echo "$start $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}')
	write_manifest "$OUT" "$seconds"
	publish "$OUT" "$final"
	say "built in ${seconds}s: disk.qcow2 $(du -h "$final/disk.qcow2" | cut -f1)" \
		"(/usr $((USR_BYTES / 1048576)) MiB, ROOT $((ROOT_BYTES / 1048576)) MiB)," \
		"vmlinuz $(du -h "$final/vmlinuz" | cut -f1), initrd.img $(du -h "$final/initrd.img" | cut -f1)"
}

main() {
	local final
	parse_args "$@"
	check_host
	find_sources
	resolve_packages
	mmdebstrap_args
	ROOTFS_KEY=$(compute_rootfs_key)
	KEY=$(compute_key)
	if $PRINT_KEY; then
		echo "$KEY"
		return
	fi
	final=$IMAGES_DIR/$IMAGE_NAME-$KEY
	if [ -f "$final/manifest.json" ] && ! $FORCE; then
		say "cached"
		ln -sfn "$IMAGE_NAME-$KEY" "$IMAGES_DIR/$IMAGE_NAME-latest"
	else
		build "$final"
	fi
	echo "$final"
}

main "$@"
