// Benchmark: command round trips over one reused SshClient connection (ssh2) versus OpenSSH's
// `ssh` multiplexed through a ControlMaster (master started once, then one `ssh -S ctl host true`
// process per command), both against a throwaway sshd on 127.0.0.1. Also times a 32 MiB SFTP
// upload and download against `scp` through the same master.
//
// Build core first: pnpm --filter @mantle/core build
// Run: node bench/ssh-roundtrip.bench.mjs [N]    (as root: sshd runs as-is)
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectWithRetry } from '../packages/core/dist/index.js';

const pexec = promisify(execFile);
const N = Number(process.argv[2] ?? 200);
const WARMUP = 10;

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const dir = await mkdtemp(join(tmpdir(), 'mantle-bench-ssh-'));
let sshd;
let client;
const ctl = join(dir, 'ctl');
const user = userInfo().username;
const port = await freePort();
const sshOpts = [
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
  '-o',
  'LogLevel=ERROR',
  '-o',
  'BatchMode=yes',
  '-i',
  join(dir, 'client'),
  '-p',
  String(port),
];
const target = `${user}@127.0.0.1`;

try {
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  await mkdir(join(dir, 'home'), { mode: 0o700 });
  for (const k of ['host', 'client'])
    await pexec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, k)]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client.pub')));
  await writeFile(
    join(dir, 'sshd_config'),
    [
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PidFile none',
      'PasswordAuthentication no',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      // keep the runner's dotfiles out of the measured sessions
      `SetEnv HOME=${join(dir, 'home')}`,
    ].join('\n') + '\n',
  );
  sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config'), '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise((resolve, reject) => {
    let log = '';
    sshd.stderr.on('data', (d) => {
      log += d;
      if (log.includes('Server listening')) resolve();
    });
    sshd.once('exit', (code) => reject(new Error(`sshd exited ${code}: ${log}`)));
  });

  // --- ours: one ssh2 connection, N sequential exec channels --------------------------------
  const t0 = performance.now();
  client = await connectWithRetry({
    host: '127.0.0.1',
    port,
    user,
    privateKeyPath: join(dir, 'client'),
    hostKeyPolicy: 'insecure',
    tries: 5,
  });
  const connectMs = performance.now() - t0;
  for (let i = 0; i < WARMUP; i++) await client.mustExec('true');
  const ours = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await client.mustExec('true');
    ours.push(performance.now() - t);
  }
  const tp = performance.now();
  await Promise.all(Array.from({ length: N }, () => client.mustExec('true')));
  const oursParallelMs = performance.now() - tp;

  // --- baseline: OpenSSH ControlMaster, one ssh process per command -------------------------
  const tm = performance.now();
  await pexec('ssh', [...sshOpts, '-M', '-S', ctl, '-o', 'ControlPersist=yes', '-fN', target]);
  const masterMs = performance.now() - tm;
  for (let i = 0; i < WARMUP; i++) await pexec('ssh', [...sshOpts, '-S', ctl, target, 'true']);
  const theirs = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await pexec('ssh', [...sshOpts, '-S', ctl, target, 'true']);
    theirs.push(performance.now() - t);
  }

  // --- 32 MiB file both ways: SFTP over the reused connection vs scp through the master -----
  const src = join(dir, 'blob');
  await writeFile(src, randomBytes(32 * 1024 * 1024));
  let t = performance.now();
  await client.putFile(src, join(dir, 'remote-ours'));
  const putOurs = performance.now() - t;
  t = performance.now();
  await client.getFile(join(dir, 'remote-ours'), join(dir, 'back-ours'));
  const getOurs = performance.now() - t;
  const scp = [
    '-q',
    '-o',
    `ControlPath=${ctl}`,
    ...sshOpts.filter((o) => o !== '-p' && o !== String(port)),
    '-P',
    String(port),
  ];
  t = performance.now();
  await pexec('scp', [...scp, src, `${target}:${join(dir, 'remote-scp')}`]);
  const putScp = performance.now() - t;
  t = performance.now();
  await pexec('scp', [...scp, `${target}:${join(dir, 'remote-scp')}`, join(dir, 'back-scp')]);
  const getScp = performance.now() - t;

  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const p = (xs, q) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];
  const f = (x) => x.toFixed(2);
  const mOurs = mean(ours);
  const mTheirs = mean(theirs);
  console.log(`ssh round trips of \`true\`, N=${N} sequential, against OpenSSH sshd on 127.0.0.1`);
  console.log(
    `  connect (ssh2, incl. auth)            ${f(connectMs)} ms   |  ControlMaster start ${f(masterMs)} ms`,
  );
  console.log(
    `  SshClient.exec (one reused connection) mean ${f(mOurs)} ms  p50 ${f(p(ours, 0.5))}  p95 ${f(p(ours, 0.95))}`,
  );
  console.log(
    `  ssh -S ctl (ControlMaster)             mean ${f(mTheirs)} ms  p50 ${f(p(theirs, 0.5))}  p95 ${f(p(theirs, 0.95))}`,
  );
  console.log(`  ratio ControlMaster/SshClient          ${(mTheirs / mOurs).toFixed(2)}x`);
  console.log(
    `  SshClient, ${N} concurrent (≤10 channels at once): ${f(oursParallelMs)} ms total, ${f(oursParallelMs / N)} ms per command`,
  );
  console.log(
    `32 MiB file: put SFTP ${f(putOurs)} ms vs scp ${f(putScp)} ms (ratio ${(putScp / putOurs).toFixed(2)}x); get SFTP ${f(getOurs)} ms vs scp ${f(getScp)} ms (ratio ${(getScp / getOurs).toFixed(2)}x)`,
  );
} finally {
  await client?.close().catch(() => undefined);
  await pexec('ssh', [...sshOpts, '-S', ctl, '-O', 'exit', target]).catch(() => undefined);
  if (sshd && sshd.exitCode === null) {
    const exited = new Promise((r) => sshd.once('exit', r));
    sshd.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
}
