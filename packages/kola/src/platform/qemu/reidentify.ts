import { randomBytes } from 'node:crypto';
import { OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { newEd25519KeyPair, shellQuoteWord } from '@mantle/core/ssh';
import type { ExecResult } from '../types.js';

/**
 * A restored machine starts as an exact copy of its snapshot's template: same machine-id, same
 * SSH host key, same kernel random state, and a clock that stopped when the template was saved.
 * reidentify() gives it what a test could notice as its own, from the host:
 *
 * - a new /etc/machine-id (where the image has one); the journal directories named after the
 *   old id get a symlink under the new one, so `journalctl` still finds the boot's entries
 *   (journald keeps writing under the old id until the next boot);
 * - a new ed25519 SSH host key, generated here and not in the guest: every copy's kernel random
 *   generator starts from the same state, so keys made in the guest right after a restore could
 *   repeat across copies. sshd is told to reload (SIGHUP); dropbear (the tiny image) is started
 *   again with its own arguments, after its key file was rewritten in dropbear's format;
 * - the host's time (`date -s`), and 64 bytes of host randomness mixed into the guest's pool.
 *
 * Not changed: the boot id (/proc/sys/kernel/random/boot_id) belongs to the kernel's boot, so
 * restored copies share the template's until they reboot (a reboot gives each its own); uptime
 * and the journal's boot also continue the template's.
 */
export interface IdentityTarget {
  readonly id: string;
  /** run a shell command line as root on the machine */
  asRoot(command: string, opts: { timeoutMs: number }): Promise<ExecResult>;
  /**
   * the host key (base64 wire blob) the machine presents now, seen by the connection asRoot
   * uses: the old key, so the guest need not read it from its key file (a process or three,
   * each costly on a restored TCG guest)
   */
  hostKey?(): Promise<string | undefined>;
}

/** The new identity's public parts, for logs and tests. */
export interface NewIdentity {
  machineId: string;
  hostPublicKey: string;
}

/**
 * The shell script that installs a new identity (POSIX sh: bash, dash or busybox ash). Every
 * process costs a restored TCG guest tens of milliseconds (hundreds on a loaded host): files
 * are read with `read` and written with `printf` (builtins), binary data goes through one
 * `base64 -d` fed by a here-document (no pipeline subshell), and the host's entropy is written
 * to /dev/urandom as its base64 text (mixing text of random bytes mixes their randomness).
 */
export function reidentifyScript(opts: {
  machineId: string;
  opensshPrivateKey: string;
  publicKey: string;
  /** the machine's current ed25519 host key (base64 blob), when the host knows it */
  oldPublicKey?: string | undefined;
  dropbearKey: Buffer;
  epochSeconds: number;
  entropy: Buffer;
  /**
   * return only once the SSH server listens again with the new key (the identity channel: the
   * first login follows at once); over SSH the running session does not need to wait
   */
  waitListening?: boolean;
  /**
   * before the server is restarted, wait (up to ~5 s) until it has a session child: a login
   * made meanwhile (the identity channel's) is then a session of its own, which outlives the
   * listener, instead of a connection the old listener never accepted
   */
  waitForSession?: boolean;
}): string {
  const q = shellQuoteWord;
  const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');
  const wait = opts.waitListening === true;
  return [
    'set -e',
    'umask 022',
    `date -u -s @${Math.floor(opts.epochSeconds)} >/dev/null 2>&1 || true`,
    `printf %s ${q(b64(opts.entropy))} > /dev/urandom || true`,
    // the inode of the socket listening on port 22 (0016) over IPv4, from /proc/net/tcp
    'listener() {',
    '  l=""',
    '  while read -r _ a _ st _ _ _ _ _ ino _; do',
    '    if [ "$st" = 0A ]; then case $a in *:0016) l=$ino ;; esac; fi',
    '  done < /proc/net/tcp',
    '}',
    // wait (up to ~10 s) for a listener on port 22 other than the socket $1
    'relisten() {',
    ...(wait
      ? [
          '  i=0',
          '  while [ $i -lt 500 ]; do',
          '    listener',
          '    if [ -n "$l" ] && [ "$l" != "$1" ]; then return 0; fi',
          '    sleep 0.02; i=$((i + 1))',
          '  done',
        ]
      : []),
    '  return 0',
    '}',
    // wait for a process whose parent is $1 (the server forks one per session)
    'session() {',
    ...(opts.waitForSession === true
      ? [
          '  i=0',
          '  while [ $i -lt 250 ]; do',
          '    for st in /proc/[0-9]*/stat; do',
          '      read -r _ _ _ pp _ < "$st" 2>/dev/null || continue',
          '      if [ "$pp" = "$1" ]; then return 0; fi',
          '    done',
          '    sleep 0.02; i=$((i + 1))',
          '  done',
        ]
      : []),
    '  return 0',
    '}',
    // machine-id, where the image has one (systemd); the journal keeps its entries findable
    `mid=${q(opts.machineId)}`,
    'old=""',
    'if [ -s /etc/machine-id ]; then read -r old < /etc/machine-id || true; fi',
    'if [ -n "$old" ] && [ "$old" != "$mid" ]; then',
    '  printf "%s\\n" "$mid" > /etc/machine-id.kola && chmod 0444 /etc/machine-id.kola && mv -f /etc/machine-id.kola /etc/machine-id',
    '  for d in /var/log/journal /run/log/journal; do',
    '    if [ -d "$d/$old" ] && [ ! -e "$d/$mid" ]; then ln -s "$old" "$d/$mid"; fi',
    '  done',
    'fi',
    // known_hosts entries of the machine's own old key (the tiny image's sudo shim trusts it
    // through /run/mantle/sudo-home/.ssh/known_hosts) follow the key; rewritten with builtins
    `new=${q(opts.publicKey.split(' ')[1] ?? '')}`,
    `given=${q(opts.oldPublicKey ?? '')}`,
    'known=0',
    'for f in /run/mantle/sudo-home/.ssh/known_hosts /root/.ssh/known_hosts /home/*/.ssh/known_hosts; do',
    '  if [ -f "$f" ]; then known=1; fi',
    'done',
    'swap_known() {',
    '  [ -n "$1" ] || return 0',
    '  for f in /run/mantle/sudo-home/.ssh/known_hosts /root/.ssh/known_hosts /home/*/.ssh/known_hosts; do',
    '    [ -f "$f" ] || continue',
    '    out=""',
    '    while IFS= read -r line || [ -n "$line" ]; do',
    '      while case $line in *"$1"*) true ;; *) false ;; esac; do line=${line%%"$1"*}$new${line#*"$1"}; done',
    // (a newline inside the quotes: the line ends there)
    '      out="$out$line',
    '"',
    '    done < "$f"',
    '    printf %s "$out" > "$f"',
    '  done',
    '}',
    // OpenSSH: a new ed25519 host key, then SIGHUP (sshd re-executes itself and rereads it)
    'if [ -r /run/sshd.pid ] && [ -d /etc/ssh ]; then',
    '  oldkey=""',
    '  if [ $known = 1 ]; then oldkey=$given; if [ -z "$oldkey" ] && [ -r /etc/ssh/ssh_host_ed25519_key.pub ]; then read -r _ oldkey _ < /etc/ssh/ssh_host_ed25519_key.pub; fi; fi',
    '  umask 077',
    '  base64 -d > /etc/ssh/ssh_host_ed25519_key.kola <<KOLA_KEY',
    b64(opts.opensshPrivateKey),
    'KOLA_KEY',
    '  mv -f /etc/ssh/ssh_host_ed25519_key.kola /etc/ssh/ssh_host_ed25519_key',
    '  umask 022',
    `  printf "%s\\n" ${q(opts.publicKey)} > /etc/ssh/ssh_host_ed25519_key.pub`,
    '  listener; before=$l',
    '  read -r pid < /run/sshd.pid',
    '  session "$pid"',
    '  kill -HUP "$pid"',
    '  swap_known "$oldkey"',
    '  relisten "$before"',
    'fi',
    // dropbear loads its keys once: rewrite the key file it was started with (-r) and restart
    // it with the same arguments; sessions (an SSH one running this script too) are separate
    // processes and stay.
    'if [ -r /run/dropbear.pid ]; then',
    '  read -r pid < /run/dropbear.pid',
    '  tr "\\000" "\\n" < /proc/$pid/cmdline > /run/kola-dropbear.argv',
    '  set --',
    '  key=""; prev=""',
    '  while IFS= read -r a; do set -- "$@" "$a"; [ "$prev" = -r ] && key=$a; prev=$a; done < /run/kola-dropbear.argv',
    '  if [ -n "$key" ]; then',
    // (the old key only where there is a known_hosts file to fix, and then from the host when
    // it knows it: dropbearkey -y | grep | cut is three processes)
    '    oldkey=""',
    '    [ $known = 0 ] || oldkey=${given:-$(dropbearkey -y -f "$key" 2>/dev/null | grep "^ssh-" | cut -d" " -f2 || true)}',
    '    listener; before=$l',
    '    session "$pid"',
    '    kill "$pid"',
    // the old listener gone (dropbear exits within milliseconds; checked with builtins)
    '    i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 20000 ]; do i=$((i + 1)); done',
    '    while kill -0 "$pid" 2>/dev/null && [ $i -lt 20500 ]; do sleep 0.01; i=$((i + 1)); done',
    // written in place: the old dropbear is gone and the new one reads it when it starts
    '    umask 077',
    '    base64 -d > "$key" <<KOLA_KEY',
    b64(opts.dropbearKey),
    'KOLA_KEY',
    '    umask 022',
    '    "$@"',
    '    swap_known "$oldkey"',
    '    relisten "$before"',
    '  fi',
    'fi',
    'echo reidentified',
  ].join('\n');
}

// The wire blob of an ed25519 key starts with the string "ssh-ed25519" (length 11).
function isEd25519Blob(b64: string): boolean {
  return Buffer.from(b64, 'base64').subarray(0, 15).equals(Buffer.from('\0\0\0\x0bssh-ed25519', 'latin1'));
}

/** dropbear's private key format for ed25519: string "ssh-ed25519", string (seed || public key). */
export function dropbearEd25519Key(seed: Buffer, publicKey: Buffer): Buffer {
  const str = (b: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(Buffer.concat([seed, publicKey]))]);
}

/** Give a restored machine its own identity (see the module comment); runs one command as root. */
export async function reidentify(
  machine: IdentityTarget,
  opts: {
    log?: Logger;
    timeoutMs?: number;
    now?: () => number;
    waitListening?: boolean;
    waitForSession?: boolean;
  } = {},
): Promise<NewIdentity> {
  const key = newEd25519KeyPair('');
  const old = await machine.hostKey?.();
  const machineId = randomBytes(16).toString('hex');
  const script = reidentifyScript({
    machineId,
    opensshPrivateKey: key.private,
    publicKey: key.public,
    oldPublicKey: old && isEd25519Blob(old) ? old : undefined,
    dropbearKey: dropbearEd25519Key(key.seed, key.publicKeyBytes),
    epochSeconds: (opts.now?.() ?? Date.now()) / 1000,
    entropy: randomBytes(64),
    waitListening: opts.waitListening,
    waitForSession: opts.waitForSession,
  });
  const r = await machine.asRoot(script, { timeoutMs: opts.timeoutMs ?? 60_000 });
  if (r.exitCode !== 0 || !r.stdout.includes('reidentified')) {
    throw new OperationError({
      code: 'QEMU_REIDENTIFY_FAILED',
      message: `giving the restored machine ${machine.id} its own machine-id and host key failed (exit ${r.exitCode}): ${r.stderr.trim() || '(no stderr)'}`,
      hint: 'run with --no-snapshot to boot every machine, and report the image',
      details: { machine: machine.id, exitCode: r.exitCode },
    });
  }
  opts.log?.debug(`new identity: machine-id ${machineId}, host key ${key.public}`);
  return { machineId, hostPublicKey: key.public };
}
