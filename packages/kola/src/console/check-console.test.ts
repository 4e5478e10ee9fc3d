import { describe, expect, it } from 'vitest';
import { checkConsole, consoleTail, formatConsoleMatch } from './check-console.js';
import { CONSOLE_PATTERNS } from './patterns.js';

// One real-looking console line per pattern (from kernels, systemd, dracut, Go programs).
const SAMPLES: Record<string, string> = {
  'emergency-shell':
    'You are in emergency mode. After logging in, type "journalctl -xb" to view system logs,',
  'dracut-fatal': '[   12.345678] dracut-initqueue[312]: FATAL: Could not find the root device',
  'kernel-panic':
    '[    2.112233] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
  'kernel-oops': '[   55.000001] Oops: 0002 [#1] PREEMPT SMP NOPTI',
  'kernel-bug': '[   10.5] BUG: kernel NULL pointer dereference, address: 0000000000000008',
  'kernel-warning':
    '[   33.1] WARNING: CPU: 1 PID: 742 at fs/ext4/inode.c:3932 ext4_set_page_dirty+0x3e/0x50',
  'io-error': '[  100.2] I/O error, dev vda, sector 2048 op 0x1:(WRITE) flags 0x800 phys_seg 1 prio class 0',
  'ext4-error':
    '[   20.0] EXT4-fs error (device vda9): ext4_lookup:1855: inode #2: comm ls: deleted inode referenced: 12',
  'remount-read-only': '[   20.1] EXT4-fs (vda9): Remounting filesystem read-only',
  'fsck-inconsistency': 'systemd-fsck[402]: ROOT: UNEXPECTED INCONSISTENCY; RUN fsck MANUALLY.',
  'dm-verity-corruption': '[    5.5] device-mapper: verity: 253:0: data block 4242 is corrupted',
  'failed-to-start':
    '[\u001b[0;1;31mFAILED\u001b[0m] Failed to start \u001b[0;1;39mdocker.service\u001b[0m - Docker Application Container Engine.',
  'dependency-failed':
    '[\u001b[0;1;38;5;185mDEPEND\u001b[0m] Dependency failed for \u001b[0;1;39mlocal-fs.target\u001b[0m - Local File Systems.',
  'ordering-cycle': 'systemd[1]: local-fs.target: Found ordering cycle on var.mount/start',
  'freezing-execution': 'systemd[1]: Caught <SEGV>, dumped core as pid 1234. Freezing execution.',
  'go-panic': 'etcd[1001]: panic: runtime error: invalid memory address or nil pointer dereference',
  segfault:
    '[  77.7] containerd[900]: segfault at 0 ip 000055d5c1a2b3c4 sp 00007ffd2d3e4f50 error 4 in containerd[55d5c1000000+2000000]',
  'core-dump': 'systemd-coredump[2048]: Process 2040 (kubelet) of user 0 dumped core.',
  'selinux-denial':
    'audit: type=1400 audit(1700000000.123:45): avc:  denied  { read } for  pid=812 comm="sshd" name="authorized_keys"',
};

const CLEAN = `
[    0.000000] Linux version 6.1.0-27-cloud-amd64 (debian-kernel@lists.debian.org)
[    0.512345] Run /init as init process
mantle-tiny: loaded 11 kernel modules
ignition: config version 3.3.0, 412 bytes
ignition: user kolauser: created (uid 1000, home /home/kolauser)
[  OK  ] Started sshd.service - OpenSSH Daemon.
[  OK  ] Reached target multi-user.target - Multi-User System.
localhost login: Started user session. No errors found; panic-free.
mantle-tiny: ready (ssh on port 22, 3.1s after kernel start)
`;

describe('console checks', () => {
  it('has a sample for every pattern, and each sample matches its own pattern', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(CONSOLE_PATTERNS.map((p) => p.id).sort());
    for (const [id, line] of Object.entries(SAMPLES)) {
      const m = checkConsole(`boot\n${line}\nafter`);
      expect(m, id).toHaveLength(1);
      expect(m[0]?.id, line).toBe(id);
      expect(m[0]?.line).toBe(2);
      expect(m[0]?.text).not.toContain('\u001b');
    }
  });

  it('finds nothing in a clean console', () => {
    expect(checkConsole(CLEAN)).toEqual([]);
  });

  it('honours skip flags', () => {
    const text = `${SAMPLES['kernel-panic'] ?? ''}\n${SAMPLES['emergency-shell'] ?? ''}\n${SAMPLES['ext4-error'] ?? ''}`;
    expect(checkConsole(text).map((m) => m.id)).toEqual(['kernel-panic', 'emergency-shell', 'ext4-error']);
    expect(checkConsole(text, { skipFlags: ['no-kernel-panic-check'] }).map((m) => m.id)).toEqual([
      'emergency-shell',
      'ext4-error',
    ]);
    expect(checkConsole(text, { skipFlags: ['no-emergency-shell-check'] }).map((m) => m.id)).toEqual([
      'kernel-panic',
      'ext4-error',
    ]);
    expect(checkConsole(text, { skipFlags: ['no-console-check'] })).toEqual([]);
  });

  it('formats matches as FILE:LINE: desc: line and tails consoles', () => {
    const [m] = checkConsole('ok\r\n' + (SAMPLES['kernel-oops'] ?? '') + '\r\n');
    expect(formatConsoleMatch('console.txt', m as never)).toBe(
      'console.txt:2: kernel oops: [   55.000001] Oops: 0002 [#1] PREEMPT SMP NOPTI',
    );
    const text = Array.from({ length: 40 }, (_, i) => `l${i}`).join('\n') + '\n\n';
    expect(consoleTail(text, 3)).toEqual(['l37', 'l38', 'l39']);
  });
});
