# Shell functions shared by the test image builds (images/*/build.sh): messages, arguments,
# list files, apt package resolution and download, cpio entries, module dependencies and
# publishing into the image cache. Sourced, not run; the caller sets IMAGE_NAME (tiny,
# systemd), HERE (its own directory), IMAGES_DIR and, for publish, TMP and KEY.
# shellcheck shell=bash

# The Ignition implementation both images run on first boot (busybox sh + gojq).
COMMON_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMMON_IGNITION_DIR=$COMMON_DIR/ignition
COMMON_IGNITION_FILES=(ignition-apply ignition.jq)

say() { echo "$IMAGE_NAME-image: $*" >&2; }
die() {
	echo "$IMAGE_NAME-image: error: $*" >&2
	exit 1
}

# Sets FORCE and PRINT_KEY; --help prints the caller's leading comment.
parse_args() {
	FORCE=false PRINT_KEY=false
	while [ $# -gt 0 ]; do
		case $1 in
		--force) FORCE=true ;;
		--print-key) PRINT_KEY=true ;;
		-h | --help)
			sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2
			exit 0
			;;
		*) die "unknown argument $1 (try --help)" ;;
		esac
		shift
	done
}

# Die naming the missing host tools and the Debian packages ($1) that bring them.
require_tools() {
	local packages=$1 tool missing=()
	shift
	for tool in "$@"; do
		command -v "$tool" >/dev/null || missing+=("$tool")
	done
	[ ${#missing[@]} -eq 0 ] || die "missing host tools: ${missing[*]} (Debian: apt-get install $packages)"
}

# Lines of a list file without comments and blank lines.
read_list() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$1"; }

# Print the kernel package the meta package $1 (e.g. linux-image-cloud-amd64) depends on.
kernel_package_of() {
	local pkg
	pkg=$(apt-cache depends "$1" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
	[ -n "$pkg" ] || die "cannot resolve $1 to a kernel package (run apt-get update?)"
	echo "$pkg"
}

# Sets PACKAGES to name=version for each name given, in order, with apt's candidate versions.
# apt-cache is slow to start: it runs once, not per package.
resolve_versions() {
	local name version versions
	versions=$(apt-cache show --no-all-versions "$@" 2>/dev/null |
		awk '/^Package: / { p = $2 } /^Version: / { print p, $2 }')
	PACKAGES=()
	for name in "$@"; do
		version=$(awk -v p="$name" '$1 == p { print $2; exit }' <<<"$versions")
		[ -n "$version" ] || die "apt knows no package $name (run apt-get update?)"
		PACKAGES+=("$name=$version")
	done
}

# Download the packages name=version given into $1 and unpack each into $2.
download_and_extract() {
	local dir=$1 dest=$2 apt_opts=() deb
	shift 2
	mkdir -p "$dir" "$dest"
	# As root, apt drops to the _apt user for downloads, which cannot write into our
	# private temp dir: keep root instead.
	[ "$(id -u)" -ne 0 ] || apt_opts=(-o APT::Sandbox::User=root)
	(cd "$dir" && apt-get "${apt_opts[@]}" -q download "$@") >&2 ||
		die "apt-get download failed (stale package lists? run apt-get update)"
	for deb in "$dir"/*.deb; do
		dpkg-deb -x "$deb" "$dest"
	done
}

# Print "file NAME MODE-BIT" and the content (or link target) of each file given relative to
# $1: the input of an image's cache key.
hash_inputs() {
	local base=$1 file
	shift
	for file in "$@"; do
		printf 'file %s %s\n' "$file" "$(stat -c %A "$base/$file" | cut -c4)"
		if [ -L "$base/$file" ]; then readlink "$base/$file"; else cat "$base/$file" || die "cannot read $base/$file"; fi
	done
}

# The inputs every image shares: this file, the Ignition implementation and kola's identity agent.
hash_common_inputs() {
	hash_inputs "$COMMON_DIR" lib.sh "${COMMON_IGNITION_FILES[@]/#/ignition/}" identity-agent
}

# Install the shared Ignition implementation and kola's identity agent (see identity-agent)
# into the image's /usr/lib/mantle ($1 is the root).
install_common_ignition() {
	local root=$1 file
	mkdir -p "$root/usr/lib/mantle"
	for file in "${COMMON_IGNITION_FILES[@]}"; do
		install -m "$([ -x "$COMMON_IGNITION_DIR/$file" ] && echo 0755 || echo 0644)" \
			"$COMMON_IGNITION_DIR/$file" "$root/usr/lib/mantle/$file"
	done
	install -m 0755 "$COMMON_DIR/identity-agent" "$root/usr/lib/mantle/identity-agent"
}

# The modules a .ko depends on (its modinfo depends= field), space separated.
module_depends() { tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '; }

# cpio_entry INO MODE NLINK RDEVMAJOR RDEVMINOR NAME: the header of a data-less newc entry.
cpio_entry() {
	local namesize=$((${#6} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$1" "$2" 0 0 "$3" 0 0 0 0 "$4" "$5" "$namesize" 0
	printf '%s\0' "$6"
	# header (110 bytes) + name are padded to a multiple of 4
	head -c $(((4 - (110 + namesize) % 4) % 4)) /dev/zero
}

# Move the finished build $1 to $2 (IMAGES_DIR/NAME-KEY) and point NAME-latest at it. Another
# build of the same key finishing first is fine: its result is used.
publish() {
	local out=$1 final=$2
	[ ! -e "$final" ] || mv -T "$final" "$TMP/replaced"
	if ! mv -T "$out" "$final" 2>/dev/null; then
		[ -f "$final/manifest.json" ] || die "cannot move the build to $final"
		say "another build of $KEY finished first, using it"
	fi
	ln -sfn "$IMAGE_NAME-$KEY" "$TMP/latest"
	mv -T "$TMP/latest" "$IMAGES_DIR/$IMAGE_NAME-latest"
	prune_old_builds
}

# Every change to an image's inputs makes a new NAME-KEY directory (~300 MB for the systemd
# image): keep the newest and the one before it (a kola run started on it may still boot new
# machines from it), remove older builds of this image. Other images' directories (tiny vs
# tiny-arm64) never match: the name must be followed by exactly 16 hex digits.
prune_old_builds() {
	local dir
	find "$IMAGES_DIR" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended \
		-regex ".*/$IMAGE_NAME-[0-9a-f]{16}" ! -name "$IMAGE_NAME-$KEY" -printf '%T@ %p\n' |
		sort -rn | tail -n +2 | cut -d' ' -f2- |
		while read -r dir; do
			say "removing the superseded build ${dir##*/}"
			rm -rf --one-file-system "$dir"
		done
}
