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
//   pilot.sig      signal names (TERM, INT, HUP, ...) one a line: sent on to the running app
//   disk pilot-root     the flake's rootfs (read-only), overlaid with
//   disk pilot-overlay  the write space (else a tmpfs)
// then runs the app (chrooted into the overlaid rootfs when there is one) and reports its exit
// code. A plain VM reboots (= qemu exits, -no-reboot) after one app; a resume VM loops on
// pilot.ctl. The argv words are never evaluated as anything but quoted words: `eval "set -- $W"`
// where vm-pilot built W by single-quoting every argument.
//
// The app runs in the foreground of a `sh -c` that first writes its own pid (then execs the app,
// so the pid is the app's) to /run/pilot-app.pid: a background reader of pilot.sig signals that
// pid. Foreground, because a non-interactive shell starts background commands with SIGINT and
// SIGQUIT ignored, and an ignored signal stays ignored through exec (the app could not trap it).
// With pilot.tty on the command line the app gets a pseudo-terminal: busybox telnetd in inetd
// mode on the stdin/stdout ports allocates it (the app is its session leader with the pty as
// controlling terminal) and runs this script again as /.pilot/tty-run, which starts the app and
// leaves its exit code in /run/pilot-code; vm-pilot speaks the (tiny) telnet protocol on its side,
// window size included (NAWS).

/** Bumped whenever the script changes (it is part of the cached initrd's key). */
export const GUEST_INIT_VERSION = 5;

export const GUEST_INIT = `#!/.pilot/busybox sh
B=/.pilot/busybox
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# app WORDS [ROOT]: exec the app (chrooted into ROOT when given), its pid in /run/pilot-app.pid
app() {
  r=$2
  eval "set -- $1"
  if [ -n "$r" ]; then cd "$r"; set -- $B chroot "$r" "$@"; else cd /; fi
  exec $B sh -c 'echo $$ > /run/pilot-app.pid; exec "$@"' sh "$@"
}
if [ "\${0##*/}" = tty-run ]; then
  # the telnetd session on the pty: a handler (not an ignore, which the app would inherit)
  # keeps this shell alive to record the code when a Ctrl-C also hits it
  trap : INT QUIT TSTP
  t=$($B tr ' ' '\\n' < /proc/cmdline | $B sed -n 's/^pilot\\.term=//p')
  [ -n "$t" ] && export TERM="$t"
  ( app "$($B cat /run/pilot-words)" "$($B cat /run/pilot-root)" )
  echo $? > /run/pilot-code
  exit 0
fi
$B mkdir -p /proc /sys /dev /run /tmp
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev 2>/dev/null
$B mount -t tmpfs run /run
$B mkdir -p /dev/pts
$B mount -t devpts -o ptmxmode=0666 devpts /dev/pts 2>/dev/null
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
  $B mount -o rbind /dev /.pilot/root/dev
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
# signal names from pilot.sig go to the running app (waiting a little for it to have started)
sigwatch() {
  while :; do
    while IFS= read -r s; do
      case "$s" in HUP|INT|QUIT|TERM|USR1|USR2|KILL) ;; *) continue ;; esac
      i=0
      while [ ! -s /run/pilot-app.pid ] && [ $i -lt 250 ]; do $B usleep 20000; i=$((i+1)); done
      p=$($B cat /run/pilot-app.pid 2>/dev/null)
      [ -n "$p" ] && $B kill -$s "$p" 2>/dev/null
    done < $port_sig
    $B usleep 100000
  done
}
[ -n "$port_sig" ] && sigwatch &
echo "$root" > /run/pilot-root
if [ -n "$port_ctl" ]; then
  echo ready > $port_exit
  exec 3<> "$port_ctl"
  while :; do
    if ! IFS= read -r line <&3; then $B usleep 100000; continue; fi
    set -- $line
    case "$1" in
      RUN)
        $B head -c "$3" <&3 > /run/pilot-stdin
        ( app "$(echo "$2" | $B base64 -d)" "$root" ) < /run/pilot-stdin > $port_stdout 2> $port_stderr
        c=$?; $B rm -f /run/pilot-app.pid
        echo "exit $c" > $port_exit ;;
      QUIT) $B sync; $B reboot -f ;;
    esac
  done
fi
words=$($B cat $port_cmd)
if $B grep -qw pilot.tty /proc/cmdline; then
  echo "$words" > /run/pilot-words
  $B ln -sf init /.pilot/tty-run
  # without -K telnetd ends once every holder of the pty closed it, after copying all output
  $B telnetd -i -f /dev/null -l /.pilot/tty-run < $port_stdin > $port_stdout 2> $port_stderr
  c=$($B cat /run/pilot-code 2>/dev/null)
  echo "exit \${c:-1}" > $port_exit
else
  ( app "$words" "$root" ) < $port_stdin > $port_stdout 2> $port_stderr
  echo "exit $?" > $port_exit
fi
$B sync
$B reboot -f
`;
