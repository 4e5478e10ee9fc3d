import type { TestFlag } from '../registry/flags.js';

/** One thing the console check looks for. */
export interface ConsolePattern {
  /** stable id, e.g. `kernel-panic` */
  id: string;
  /** what a match means, printed with the line */
  description: string;
  regex: RegExp;
  /** a test flag that turns this check off (every check is off with `no-console-check`) */
  skipFlag?: TestFlag;
}

/**
 * Lines on a machine's serial console that mean something went wrong even when the test body
 * passed (mantle's console checks). Matched per line, after ANSI colour codes are stripped.
 */
export const CONSOLE_PATTERNS: readonly ConsolePattern[] = [
  {
    id: 'emergency-shell',
    description: 'emergency shell',
    regex:
      /You are in emergency mode|Entering emergency mode|Starting Emergency Shell|Press Enter for emergency shell|Reached target .*Emergency Mode/,
    skipFlag: 'no-emergency-shell-check',
  },
  { id: 'dracut-fatal', description: 'initramfs fatal error', regex: /dracut\S*: FATAL:/i },
  {
    id: 'kernel-panic',
    description: 'kernel panic',
    regex: /Kernel panic - not syncing/,
    skipFlag: 'no-kernel-panic-check',
  },
  {
    id: 'kernel-oops',
    description: 'kernel oops',
    regex: /\bOops: [0-9a-f]{4}|\bOops\[#\d+\]|\bOops: .*\[#\d+\]/,
  },
  {
    id: 'kernel-bug',
    description: 'kernel BUG',
    regex:
      /kernel BUG at |BUG: (unable to handle|kernel NULL pointer dereference|soft lockup|scheduling while atomic|KASAN)/,
  },
  { id: 'kernel-warning', description: 'kernel warning', regex: /WARNING: CPU: \d+ PID: \d+/ },
  {
    id: 'io-error',
    description: 'I/O error on a device',
    regex:
      /I\/O error, dev \S+, sector \d+|Buffer I\/O error on dev(ice)? \S+|rejecting I\/O to offline device/,
  },
  { id: 'ext4-error', description: 'ext4 filesystem error', regex: /EXT4-fs error \(device [^)]+\)/ },
  {
    id: 'remount-read-only',
    description: 'filesystem remounted read-only',
    regex: /remounting (filesystem|file system) read-only/i,
  },
  {
    id: 'fsck-inconsistency',
    description: 'filesystem inconsistency found by fsck',
    regex: /UNEXPECTED INCONSISTENCY|fsck failed with (exit status|error code)/,
  },
  {
    id: 'dm-verity-corruption',
    description: 'dm-verity detected corruption',
    regex: /device-mapper: verity: .*(data|metadata|hash) block \d+ is corrupted|dm-verity.*corrupt/i,
  },
  { id: 'failed-to-start', description: 'a unit failed to start', regex: /Failed to start \S/ },
  { id: 'dependency-failed', description: 'a unit dependency failed', regex: /Dependency failed for \S/ },
  {
    id: 'ordering-cycle',
    description: 'systemd ordering cycle',
    regex: /Found ordering cycle on |to break ordering cycle|Breaking ordering cycle/,
  },
  { id: 'freezing-execution', description: 'systemd froze (PID 1 crashed)', regex: /Freezing execution/ },
  { id: 'go-panic', description: 'Go panic', regex: /(^|: )panic: \S|goroutine \d+ \[running\]:/ },
  {
    id: 'segfault',
    description: 'segmentation fault',
    regex: /\bsegfault at [0-9a-f]+ ip |SIGSEGV|status=11\/SEGV/,
  },
  { id: 'core-dump', description: 'core dump', regex: /dumped core|core dumped|code=dumped/i },
  { id: 'selinux-denial', description: 'SELinux denial', regex: /avc:\s+denied/ },
];
