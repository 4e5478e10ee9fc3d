// VMware's vSphere simulator (vcsim, from Debian's govmomi sources) as one standalone ESX host for
// ore's ESX tests: the real vSphere Web Services (SOAP) implementation, wrapped by
// packages/test-utils/vcsim/main.go so that it keeps the uploaded disk bytes and a journal of the
// SOAP methods called. Built once by vcsim/build.sh (scripts/setup.sh runs it) and cached.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const buildScript = fileURLToPath(new URL('../vcsim/build.sh', import.meta.url));

export interface Vcsim {
  /** the SDK endpoint, http://127.0.0.1:PORT/sdk (https:// with `tls`) */
  url: string;
  /** host:port, what an esx.json profile's server field takes (with the http:// scheme) */
  origin: string;
  /** the SOAP methods called so far, in order */
  journal(): Promise<string[]>;
  /** the uploads kept from lease device URLs: file name -> bytes */
  uploads(): Promise<Map<string, Buffer>>;
  /** how many uploads are under way (their bytes still arriving) */
  uploading(): Promise<number>;
  stop(): Promise<void>;
}

/** The mantle-vcsim binary, built (offline, ~1 min on a busy machine) when not cached. */
export async function ensureVcsim(): Promise<string> {
  const { stdout } = await promisify(execFile)(buildScript, [], { timeout: 600_000, maxBuffer: 16 << 20 });
  return stdout.trim();
}

/**
 * Start vcsim on a free port of 127.0.0.1 that accepts only this user and password; `nfcBps`
 * slows the disk uploads down to that many bytes a second (a test interrupts one midway); `tls`
 * serves HTTPS with a self-signed certificate (the url is then https://), as most ESX hosts do;
 * `portgroup` adds a network of that name beside "VM Network".
 */
export async function startVcsim(login: {
  user: string;
  password: string;
  nfcBps?: number;
  tls?: boolean;
  portgroup?: string;
}): Promise<Vcsim> {
  const bin = await ensureVcsim();
  const dir = await mkdtemp(join(tmpdir(), 'test-vcsim-'));
  const nfcDir = join(dir, 'nfc');
  await mkdir(nfcDir);
  const journalFile = join(dir, 'journal');
  const proc: ChildProcess = spawn(
    bin,
    [
      '-l',
      '127.0.0.1:0',
      '-username',
      login.user,
      '-password',
      login.password,
      '-nfc-dir',
      nfcDir,
      '-journal',
      journalFile,
      ...(login.nfcBps ? ['-nfc-bps', String(login.nfcBps)] : []),
      ...(login.tls ? ['-tls'] : []),
      ...(login.portgroup ? ['-portgroup', login.portgroup] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(line.trim());
    });
    proc.once('exit', (code) => reject(new Error(`mantle-vcsim exited (${code}): ${stderr}`)));
  });
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  return {
    url,
    origin: new URL(url).host,
    journal: async () =>
      (await readFile(journalFile, 'utf8').catch(() => '')).split('\n').filter((l) => l !== ''),
    uploads: async () => {
      const m = new Map<string, Buffer>();
      for (const f of await readdir(nfcDir))
        if (!f.endsWith('.part')) m.set(f, await readFile(join(nfcDir, f)));
      return m;
    },
    uploading: async () => (await readdir(nfcDir)).filter((f) => f.endsWith('.part')).length,
    stop,
  };
}
