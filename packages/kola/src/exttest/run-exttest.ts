import { readdir, stat } from 'node:fs/promises';
import { basename, join, posix, relative } from 'node:path';
import { shellQuote } from '@mantle/core/ssh';
import type { Machine } from '../platform/types.js';
import type { TestCluster } from '../types.js';

/** Where an external test's files go on the machine. */
export const EXTTEST_REMOTE_DIR = '/var/lib/kola-ext';
/** The last stdout line of a test whose helper asked for a reboot. */
const EXTTEST_REBOOT_PREFIX = 'KOLA_EXT_REBOOT_REQUEST ';
/** Exit code of a skipped test (autopkgtest's and automake's). */
export const EXTTEST_SKIP_EXIT = 77;
/** How many reboots one external test may ask for. */
const EXTTEST_MAX_REBOOTS = 10;
const MAX_DATA_FILES = 500;

// `autopkgtest-reboot MARK`, as Debian's autopkgtest defines it: the test is stopped and run again
// after a reboot with AUTOPKGTEST_REBOOT_MARK=MARK. It tells kola through the test's stdout and
// kills the test (the helper's parent); not its process group, which on some SSH servers
// (dropbear) is the server's own.
const REBOOT_HELPER = `#!/bin/sh
# autopkgtest-reboot MARK: reboot the machine and run this test again with AUTOPKGTEST_REBOOT_MARK=MARK
case "$1" in
  ''|*[!A-Za-z0-9._:@+=-]*) echo "usage: autopkgtest-reboot MARK (letters, digits and . _ : @ + = -)" >&2; exit 2 ;;
esac
echo "${EXTTEST_REBOOT_PREFIX}$1"
kill -KILL "$PPID"
`;

export interface ExtTestBodyOptions {
  name: string;
  /** absolute local path of the executable */
  executable: string;
  /** absolute local path of its data directory, uploaded as $KOLA_EXT_DATA */
  dataDir: string | undefined;
}

/** The outcome of one run of an external test executable. */
export interface ExtRunOutcome {
  exitCode: number;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  rebootMark: string | undefined;
}

/**
 * The body of an external test: upload the executable (and data/) to the first machine, run it
 * as root with a clean environment, 0 = pass, 77 = skip, anything else fails; its stdout and
 * stderr go into the test output. `autopkgtest-reboot MARK` (on PATH, and at
 * /tmp/autopkgtest-reboot as cosa has it) reboots and reruns it with the mark.
 */
export function extTestBody(opts: ExtTestBodyOptions): (c: TestCluster) => Promise<void> {
  return async (c) => {
    const m = c.machines[0];
    if (!m) return c.fatal('no machine booted for the external test');
    const remote = posix.join(EXTTEST_REMOTE_DIR, opts.name);
    const exe = basename(opts.executable);
    let mark: string | undefined;
    for (let reboots = 0; ; reboots++) {
      // Uploaded on every run: an image that keeps nothing across reboots (tiny) needs it again.
      await upload(m, opts, remote);
      const r = await c.ssh(m, runCommand(remote, exe, opts.name, mark, c.machines), { user: 'root' });
      const o = interpret(r);
      const how = o.signal ? `killed by ${o.signal}` : `exit status ${o.exitCode}`;
      c.logf(
        '%s on %s%s: %s',
        exe,
        m.id,
        mark ? ` (reboot mark ${mark})` : '',
        o.rebootMark ? `asked for a reboot (mark ${o.rebootMark})` : how,
      );
      logStreams(c, o);
      if (o.rebootMark) {
        if (reboots >= EXTTEST_MAX_REBOOTS)
          c.fatalf('%s asked for more than %d reboots', exe, EXTTEST_MAX_REBOOTS);
        await m.reboot();
        mark = o.rebootMark;
        continue;
      }
      if (o.exitCode === 0 && !o.signal) return;
      if (o.exitCode === EXTTEST_SKIP_EXIT)
        c.skip(`${exe} exited ${EXTTEST_SKIP_EXIT} (skip)${lastLine(o.stderr || o.stdout)}`);
      c.fatalf('%s failed on %s (%s)%s', exe, m.id, how, lastLine(o.stderr || o.stdout));
    }
  };
}

/** Read an executable's result: the reboot request line, if any, is taken off stdout. */
export function interpret(r: {
  exitCode: number;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}): ExtRunOutcome {
  const lines = r.stdout.replace(/\n$/, '').split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (last.startsWith(EXTTEST_REBOOT_PREFIX)) {
    const rest = lines.slice(0, -1).join('\n');
    return {
      ...r,
      stdout: rest ? `${rest}\n` : '',
      rebootMark: last.slice(EXTTEST_REBOOT_PREFIX.length).trim(),
    };
  }
  return { ...r, rebootMark: undefined };
}

/** The command that runs the test: as root, in its directory, with only kola's variables set. */
export function runCommand(
  remote: string,
  exe: string,
  test: string,
  mark: string | undefined,
  machines: readonly Machine[],
): string {
  const bin = posix.join(remote, '.kola');
  const env = [
    `PATH=${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    'HOME=/root',
    'USER=root',
    'LOGNAME=root',
    'LANG=C.UTF-8',
    `KOLA_TEST=${test}`,
    `KOLA_TEST_EXE=${exe}`,
    `KOLA_EXT_DATA=${posix.join(remote, 'data')}`,
    `KOLA_MACHINES=${machines.map((x) => x.privateIp ?? x.ip).join(' ')}`,
    ...(mark !== undefined ? [`AUTOPKGTEST_REBOOT_MARK=${mark}`, `KOLA_REBOOT_MARK=${mark}`] : []),
  ];
  return [
    `cd ${shellQuote([remote])}`,
    `ln -sf ${shellQuote([posix.join(bin, 'autopkgtest-reboot'), '/tmp/autopkgtest-reboot'])}`,
    `exec ${shellQuote(['env', '-i', ...env, `./${exe}`])}`,
  ].join(' && ');
}

async function upload(m: Machine, opts: ExtTestBodyOptions, remote: string): Promise<void> {
  await m.copyFile(opts.executable, posix.join(remote, basename(opts.executable)), 0o755);
  await m.copyFile(Buffer.from(REBOOT_HELPER), posix.join(remote, '.kola', 'autopkgtest-reboot'), 0o755);
  if (!opts.dataDir) return;
  const files = await listFiles(opts.dataDir);
  for (const f of files) {
    const rel = relative(opts.dataDir, f).split('\\').join('/');
    await m.copyFile(f, posix.join(remote, 'data', rel), (await stat(f)).mode & 0o777);
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
      if (out.length > MAX_DATA_FILES)
        throw new Error(`${dir} holds more than ${MAX_DATA_FILES} files; pack them into an archive`);
    }
  };
  await walk(dir);
  return out;
}

function logStreams(c: TestCluster, o: ExtRunOutcome): void {
  for (const [label, text] of [
    ['stdout', o.stdout],
    ['stderr', o.stderr],
  ] as const) {
    const t = text.replace(/\n$/, '');
    if (t) c.log(`  ${label}:\n${t.replace(/^/gm, '    ')}`);
  }
}

function lastLine(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  const l = lines[lines.length - 1];
  return l ? `: ${l}` : '';
}
