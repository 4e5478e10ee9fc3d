#!/usr/bin/env bash
# Idempotent setup for a fresh Debian/Ubuntu machine with Node.js >= 20.19: installs the Debian
# packages the tools and tests use, pnpm, the workspace dependencies, builds every package and
# the project's test OS image. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.8
# One line per concern, so a newcomer sees why each package is here.
APT_PACKAGES=(
  fdisk gdisk                    # sfdisk/sgdisk: cross-checks of the GPT code
  mtools dosfstools              # FAT partitions without root
  e2fsprogs                      # mkfs.ext4 -d, debugfs
  qemu-utils                     # qemu-img: qcow2 overlays and conversions
  qemu-system-x86 ovmf swtpm swtpm-tools  # kola's qemu platform
  qemu-system-arm qemu-efi-aarch64        # kola --qemu-arch aarch64 (TCG) and the arm64 tiny image
  openssh-client openssh-server  # ssh-keygen; a real sshd for the SSH tests
  cpio busybox-static            # the tiny test image
  mmdebstrap                     # the systemd test image's Debian rootfs
  grub-common                    # grub-mkimage: the systemd test image's BIOS boot (core.img)
  systemd-container              # systemd-dissect: cross-checks of bakery's sysext metadata
  squashfs-tools erofs-utils btrfs-progs  # sysext images
  patchelf                       # bakery flix: relocate binaries
  bubblewrap                     # bakery flatwrap: run wrapped commands inside a rootfs
  skopeo umoci                   # bakery oci-rootfs: fetch and unpack container images without root
  docker-registry                # a real local registry for the oci-rootfs tests
  zstd xz-utils lz4 bzip2 gzip   # image (de)compression
  libxml2-utils                  # xmllint: kola's junit.xml validated against a JUnit schema in tests
  gnupg                          # OpenPGP fixtures for verification tests
  ignition                       # ignition-validate: cross-checks of the Butane translator
  iproute2                       # network namespaces in tests
  dnsmasq-base                   # a real DNS server for kolet's dns checks with a server (every record type)
  chromium                       # plume: the index-page tests browse them headless
  golang-go golang-github-vmware-govmomi-dev  # vcsim (VMware's vSphere simulator) for ore's ESX tests, built offline
  podman runc catatonit          # pilot's podman engine (runc: crun fails on this host's cgroups; catatonit: the containers' --init)
)

log() { printf 'setup: %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

node_ok() {
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'
}

if ! command -v node >/dev/null || ! node_ok; then
  log "Node.js >= 20.19 is required (found: $(node -v 2>/dev/null || echo none))"
  exit 3
fi

# One dpkg-query for all of them (one per package took seconds on a loaded machine).
declare -A installed=()
while read -r name state; do
  if [ "$state" = 'install ok installed' ]; then installed[$name]=1; fi
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null || true)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  [ -n "${installed[$p]:-}" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# bubblewrap as a normal user (pilot's and bakery's sandbox tests) needs unprivileged user
# namespaces; Ubuntu >= 23.10 restricts them through AppArmor unless bwrap has a profile.
if [ "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null)" = 1 ] &&
  ! grep -qs 'userns' /etc/apparmor.d/bwrap-userns-restrict; then
  log "warning: AppArmor restricts unprivileged user namespaces and bwrap has no profile for them:"
  log "  bwrap tests that run as a normal user fail; allow it with"
  log "  sysctl kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for /usr/bin/bwrap)"
fi

if ! command -v pnpm >/dev/null || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  log "installing pnpm $PNPM_VERSION"
  as_root npm install -g --silent "pnpm@$PNPM_VERSION"
fi

log "installing workspace dependencies"
pnpm install --frozen-lockfile --reporter=silent

log "building packages"
pnpm exec turbo run build --output-logs=errors-only

# The test images are built from Debian packages fetched with apt-get download: that needs
# current package lists, so a failed build is retried once after apt-get update.
build_image() {
  local script=$1
  shift
  # A builder that is not executable (lost mode bits in a copy or an archive) is a broken
  # checkout, not an optional image: say so and stop, or the tests would run without their images.
  if [ ! -x "$script" ]; then
    echo "setup.sh: $script is not executable (mode $(stat -c %a "$script" 2>/dev/null || echo missing)); run: chmod +x $script" >&2
    exit 1
  fi
  log "building test image: $script $* (cached when up to date)"
  if ! "$script" "$@" >/dev/null; then
    log "retrying $script $* after apt-get update"
    as_root apt-get update -qq
    "$script" "$@" >/dev/null
  fi
}
build_image images/tiny/build.sh
build_image images/tiny/build.sh --arch arm64
build_image images/systemd/build.sh

log "building the vSphere simulator for ore's ESX tests (cached when up to date)"
packages/test-utils/vcsim/build.sh >/dev/null

log "putting the tools on PATH"
node scripts/link-bins.mjs || log "some tools were not linked (see above)"
log "done"
