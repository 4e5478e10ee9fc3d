// The small init vm-pilot hands the app to, inside the VM. It is appended to the flake's initrd
// as /.pilot/init (with the host's static busybox as /.pilot/busybox, so it needs nothing from
// the image) and started with rdinit=/.pilot/init.
//
// It mounts /proc, /sys, /dev; loads the virtio modules it needs from the initrd when they are
// modules (insmod, virtio_mmio with the device list qemu put on the kernel command line); finds
// its channels — virtio-serial ports by name — and disks by serial number:
//   pilot.cmd      the app's argv as shell words (written by vm-pilot, quoted by it), then EOF
//   pilot.stdin    the caller's stdin (EOF when it ends)
//   pilot.stdout / pilot.stderr   the app's output
//   pilot.exit     "booted" once the init runs, "exit N" when the app ended ("ready" when a
//                  resume VM is up)
//   pilot.include  (optional) a tar stream unpacked at / before the app starts
//   pilot.ctl      (resume VMs) "RUN <base64 argv words> <stdin bytes>", then the stdin bytes
//   disk pilot-root     the flake's rootfs (read-only), overlaid with
//   disk pilot-overlay  the write space (else a tmpfs)
// then runs the app (chrooted into the overlaid rootfs when there is one) and reports its exit
// code. A plain VM reboots (= qemu exits, -no-reboot) after one app; a resume VM loops on
// pilot.ctl. The argv words are never evaluated as anything but quoted words: `eval "set -- $W"`
// where vm-pilot built W by single-quoting every argument.

/** Bumped whenever the script changes (it is part of the cached initrd's key). */
export const GUEST_INIT_VERSION = 4;

export const GUEST_INIT = `#!/.pilot/busybox sh
B=/.pilot/busybox
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
$B mkdir -p /proc /sys /dev /run /tmp
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev 2>/dev/null
$B mount -t tmpfs run /run
say() { echo "pilot-init: $*" > /dev/console; }
fail() { say "$*"; $B reboot -f; }
kver=$($B uname -r)
mmio=$($B tr ' ' '\\n' < /proc/cmdline | $B sed -n 's/^virtio_mmio\\.device=/device=/p')
load() {
  for m; do
    [ -d /sys/module/$m ] && continue
    f=$($B find /usr/lib/modules/$kver /lib/modules/$kver -name "$m.ko" 2>/dev/null | $B head -n 1)
    [ -n "$f" ] || continue
    if [ "$m" = virtio_mmio ]; then $B insmod "$f" $mmio; else $B insmod "$f"; fi
  done
}
load virtio_ring virtio virtio_mmio virtio_console virtio_blk
# Port names reach the guest asynchronously after the device probes (slow under a loaded TCG
# host): wait, up to 30 s, until as many named ports as the host made (pilot.ports=N) are seen.
want=$($B tr ' ' '\\n' < /proc/cmdline | $B sed -n 's/^pilot\\.ports=//p')
i=0
while :; do
  found=0
  for p in /sys/class/virtio-ports/*; do
    n=$($B cat $p/name 2>/dev/null)
    case "$n" in pilot.*) eval "port_\${n#pilot.}=/dev/\${p##*/}"; found=$((found+1)) ;; esac
  done
  [ -n "$port_exit" ] && [ $found -ge \${want:-1} ] && break
  [ $i -ge 1500 ] && break
  $B usleep 20000; i=$((i+1))
done
[ -n "$port_exit" ] || fail "no pilot.exit channel (virtio_console missing?)"
echo booted > $port_exit
disk() { for d in /sys/block/vd*; do [ "$($B cat $d/serial 2>/dev/null)" = "$1" ] && echo /dev/\${d##*/}; done; }
root=
lower=$(disk pilot-root)
if [ -n "$lower" ]; then
  load overlay
  $B mkdir -p /.pilot/lower /.pilot/rw /.pilot/root
  $B mount -o ro "$lower" /.pilot/lower || fail "cannot mount the rootfs $lower"
  rw=$(disk pilot-overlay)
  if [ -n "$rw" ]; then $B mount "$rw" /.pilot/rw || fail "cannot mount the overlay $rw"
  else $B mount -t tmpfs rw /.pilot/rw; fi
  $B mkdir -p /.pilot/rw/upper /.pilot/rw/work
  $B mount -t overlay overlay -o lowerdir=/.pilot/lower,upperdir=/.pilot/rw/upper,workdir=/.pilot/rw/work /.pilot/root || fail "overlay mount failed"
  for m in proc sys dev run tmp; do $B mkdir -p /.pilot/root/$m; done
  $B mount -t proc proc /.pilot/root/proc
  $B mount -t sysfs sys /.pilot/root/sys
  $B mount -o bind /dev /.pilot/root/dev
  $B mount -t tmpfs run /.pilot/root/run
  root=/.pilot/root
fi
if $B grep -qw pilot.net /proc/cmdline; then
  load failover net_failover virtio_net
  $B ip link set lo up
  $B ip link set eth0 up && $B ip addr add 10.0.2.15/24 dev eth0 && $B ip route add default via 10.0.2.2
  [ -n "$root" ] && echo "nameserver 10.0.2.3" > $root/etc/resolv.conf 2>/dev/null
fi
[ -n "$port_include" ] && { $B tar -x -C "\${root:-/}" -f "$port_include" || fail "unpacking the includes failed"; }
run() {
  eval "set -- $1"
  if [ -n "$root" ]; then cd /.pilot/root; exec $B chroot /.pilot/root "$@"; fi
  cd /; exec "$@"
}
if [ -n "$port_ctl" ]; then
  echo ready > $port_exit
  exec 3<> "$port_ctl"
  while :; do
    if ! IFS= read -r line <&3; then $B usleep 100000; continue; fi
    set -- $line
    case "$1" in
      RUN)
        $B head -c "$3" <&3 > /run/pilot-stdin
        ( run "$(echo "$2" | $B base64 -d)" ) < /run/pilot-stdin > $port_stdout 2> $port_stderr
        echo "exit $?" > $port_exit ;;
      QUIT) $B sync; $B reboot -f ;;
    esac
  done
fi
words=$($B cat $port_cmd)
( run "$words" ) < $port_stdin > $port_stdout 2> $port_stderr
echo "exit $?" > $port_exit
$B sync
$B reboot -f
`;
