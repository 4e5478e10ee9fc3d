// Test helper: a real OpenSSH sshd on 127.0.0.1 with its own host key, authorized_keys and config
// in a temp dir. Tests run as root, so sshd can run as-is; every instance is tracked so afterAll
// can stop them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { connectWithRetry, run, type ConnectOptions, type SshClient } from '../../src/index.js';
import { freePort, retryOnPortClash } from '@mantle/test-utils/free-port';

export interface SshdOptions {
  /** offer the sftp subsystem (default true) */
  sftp?: boolean;
  /** public key lines to put in authorized_keys, besides the generated client key */
  authorizedKeys?: string[];
  /** PATH for sessions (sshd's SetEnv), e.g. a dir of busybox applets to mimic a busybox host */
  sessionPath?: string;
  /** extra sshd_config lines */
  extraConfig?: string[];
}

export interface Sshd {
  readonly host: '127.0.0.1';
  /** startSshd may move it to another free port before it returns */
  port: number;
  readonly user: string;
  /** temp dir holding config, keys, authorized_keys */
  readonly dir: string;
  /** client private key that authorized_keys accepts */
  readonly clientKeyPath: string;
  /** a private key that authorized_keys does NOT list */
  readonly strangerKeyPath: string;
  readonly hostKeyPath: string;
  /** `SHA256:...` of the host key */
  readonly hostKeyFingerprint: string;
  /** the sshd listener's pid while running */
  pid(): number | undefined;
  /** start listening (resolves once sshd logged "Server listening") */
  start(): Promise<void>;
  /** stop the listener and every session process it forked */
  stop(): Promise<void>;
  /** signal (default SIGKILL) every process sshd forked: drops or freezes every connection; the listener stays */
  killSessions(signal?: NodeJS.Signals): Promise<number>;
  /** replace the host key with a new one (restart to take effect) */
  rotateHostKey(): Promise<string>;
  /** sshd's log so far */
  log(): string;
}

const live = new Set<Sshd>();
const dirs = new Set<string>();

/** Write config and keys and choose a port, without starting sshd (for late-start tests). */
export async function prepareSshd(opts: SshdOptions = {}): Promise<Sshd> {
  // sshd refuses to start without its privilege separation directory.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = await mkdtemp(join(tmpdir(), 'mantle-sshd-'));
  dirs.add(dir);
  const hostKeyPath = join(dir, 'ssh_host_ed25519_key');
  const clientKeyPath = join(dir, 'client_ed25519');
  const strangerKeyPath = join(dir, 'stranger_ed25519');
  await keygen(hostKeyPath, 'host');
  await keygen(clientKeyPath, 'client');
  await keygen(strangerKeyPath, 'stranger');
  const authorizedKeys = join(dir, 'authorized_keys');
  const clientPub = (await readFile(`${clientKeyPath}.pub`, 'utf8')).trim();
  await writeFile(authorizedKeys, [clientPub, ...(opts.authorizedKeys ?? [])].join('\n') + '\n', {
    mode: 0o600,
  });
  const home = join(dir, 'home');
  await mkdir(home, { mode: 0o700 });
  const cfg = join(dir, 'sshd_config');
  const lines = [
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKeyPath}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    'StrictModes no',
    'UsePAM no',
    'PidFile none',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'AllowTcpForwarding yes',
    'LogLevel VERBOSE',
    ...(opts.sftp === false ? [] : ['Subsystem sftp /usr/lib/openssh/sftp-server']),
    // A private HOME keeps the runner's dotfiles (e.g. a .bashrc doing slow work under a lock) out
    // of every session; sshd reads SetEnv as one line.
    `SetEnv HOME=${home}${opts.sessionPath ? ` PATH=${opts.sessionPath}` : ''}`,
    ...(opts.extraConfig ?? []),
  ];
  await writeFile(cfg, lines.join('\n') + '\n');
  let fingerprint = await fingerprintOf(`${hostKeyPath}.pub`);
  // picked last, so it stays free for as short a time as possible before sshd binds it
  const port = await freePort();

  let child: ChildProcess | undefined;
  let logText = '';
  const sshd: Sshd = {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    dir,
    clientKeyPath,
    strangerKeyPath,
    hostKeyPath,
    get hostKeyFingerprint() {
      return fingerprint;
    },
    pid: () => child?.pid,
    log: () => logText,
    start: async () => {
      if (child) return;
      const port = sshd.port;
      const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg, '-p', String(port)], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child = proc;
      live.add(sshd);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`sshd on port ${port} did not start:\n${logText}`)),
          10_000,
        );
        // this start's own lines: a restarted sshd's log already says it listened before
        const from = logText.length;
        proc.stderr?.on('data', (d: Buffer) => {
          logText += d.toString();
          if (logText.slice(from).includes('Server listening')) {
            clearTimeout(timer);
            resolve();
          }
        });
        proc.once('exit', (code) => {
          clearTimeout(timer);
          if (child === proc) child = undefined;
          reject(new Error(`sshd on port ${port} exited with ${code}:\n${logText}`));
        });
      });
    },
    stop: async () => {
      const proc = child;
      if (!proc?.pid) return;
      const kids = await descendants(proc.pid);
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      for (const k of kids) killQuietly(k, 'SIGKILL');
      await Promise.race([exited, sleep(3000).then(() => proc.kill('SIGKILL'))]);
      child = undefined;
      live.delete(sshd);
    },
    killSessions: async (signal = 'SIGKILL') => {
      const pid = child?.pid;
      if (!pid) return 0;
      const kids = await descendants(pid);
      for (const k of kids) killQuietly(k, signal);
      return kids.length;
    },
    rotateHostKey: async () => {
      await rm(hostKeyPath, { force: true });
      await rm(`${hostKeyPath}.pub`, { force: true });
      await keygen(hostKeyPath, 'host');
      fingerprint = await fingerprintOf(`${hostKeyPath}.pub`);
      return fingerprint;
    },
  };
  return sshd;
}

/**
 * Prepare and start an sshd. Its port was free when picked, before the keys were made: when
 * another process bound it since, sshd cannot listen and starts again on another port (nobody
 * knows this one yet).
 */
export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const sshd = await prepareSshd(opts);
  return retryOnPortClash(async (attempt) => {
    if (attempt > 1) sshd.port = await freePort();
    await sshd.start();
    return sshd;
  });
}

/**
 * connectWithRetry options for this sshd as its accepted client: no host key check, 5 tries of at
 * most 5 s each (a local sshd answers in milliseconds); `extra` overrides any of them.
 */
export function connectOptions(sshd: Sshd, extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return {
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    privateKeyPath: sshd.clientKeyPath,
    hostKeyPolicy: 'insecure',
    tries: 5,
    perTryTimeoutMs: 5000,
    ...extra,
  };
}

/** Connect to this sshd with connectOptions(sshd, extra). */
export function connectTo(sshd: Sshd, extra: Partial<ConnectOptions> = {}): Promise<SshClient> {
  return connectWithRetry(connectOptions(sshd, extra));
}

/** Stop every sshd this helper started and remove their temp dirs (call in afterAll). */
export async function stopAllSshd(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()));
  await Promise.all([...dirs].map((d) => rm(d, { recursive: true, force: true })));
  dirs.clear();
}

async function keygen(path: string, comment: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

async function fingerprintOf(pubPath: string): Promise<string> {
  const out = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubPath])).stdout;
  const fp = out.split(/\s+/)[1];
  if (!fp?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen -l output: ${out}`);
  return fp;
}

// Every process below `pid`, children first discovered through /proc/<pid>/stat's ppid field.
async function descendants(pid: number): Promise<number[]> {
  const parentOf = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // the command name may contain spaces/parens: fields start after the last ')'
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(name), Number(fields[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

function killQuietly(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
