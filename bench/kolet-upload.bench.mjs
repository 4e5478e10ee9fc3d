#!/usr/bin/env node
// kolet onto a machine, three ways, alternately on one booted machine of the systemd image:
// - from the read-only kolet disk kola attaches on qemu (mount, sha256 checked on the machine,
//   a link; nothing copied) — what kola does on qemu;
// - kola's SSH upload (KoletAgent.install: probe, kolet.gz through SSH stdin, gunzip, sha256
//   verified on the machine, chmod 0755, rename) — what it does on clouds; run through the same
//   Machine with its kolet disk hidden from the agent;
// - the baseline: the same gzip bytes sent with a plain `ssh ... 'cat > FILE'`.
// All go through the same Machine.ssh (one ssh2 connection as root). Prints the medians and the
// ratios (goal: kolet ready from the disk ≤ 2 s), plus what a second install costs when the
// probe finds kolet already there (after a reboot).
//
// Usage: node bench/kolet-upload.bench.mjs [rounds]   (default 3; needs `pnpm build`, the kolet
// executable and images/systemd/build.sh done)
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 3);
const kola = await import(pathToFileURL(join(repo, 'packages/kola/dist/index.js')).href);
const core = await import(pathToFileURL(join(repo, 'packages/core/dist/index.js')).href);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

// The same machine, but the agent does not see its kolet disk: it uploads.
function withoutDisk(m) {
  return {
    id: m.id,
    ip: m.ip,
    sshPort: m.sshPort,
    privateIp: m.privateIp,
    outputDir: m.outputDir,
    koletDevice: undefined,
    ssh: (c, o) => m.ssh(c, o),
    copyFile: (s, r, mode) => m.copyFile(s, r, mode),
    reboot: () => m.reboot(),
    bootId: () => m.bootId(),
    consoleOutput: () => m.consoleOutput(),
    journalOutput: () => m.journalOutput(),
    destroy: () => m.destroy(),
  };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'kolet-upload-bench-'));
  const logger = core.createLogger({ level: 'warn' });
  const ac = new AbortController();
  let flight;
  try {
    const agent = kola.KoletAgent.load(process.env, logger);
    const gz = await readFile(agent.artifacts.gz);
    const { opts } = await kola.chooseImage(kola.parseRunOptions({ image: 'systemd' }), process.env, repo);
    flight = await kola.platforms.qemu({
      run: opts,
      outputDir: dir,
      logger,
      signal: ac.signal,
      env: process.env,
      kolet: { path: agent.artifacts.executable, sha256: agent.artifacts.sha256 },
    });
    const cluster = await flight.newCluster({
      name: 'kolet-upload-bench',
      outputDir: join(dir, 'out'),
      privateNetwork: false,
    });
    const tb = performance.now();
    // e2scrub_reap runs at idle priority and competes with the uploads under TCG: masked.
    const m = await cluster.newMachine(
      'variant: flatcar\nversion: 1.0.0\nsystemd:\n  units:\n    - name: e2scrub_reap.service\n      mask: true\n',
    );
    console.log(
      `systemd machine up in ${secs(performance.now() - tb)}; kolet.gz ${(gz.length / 1e6).toFixed(1)} MB (kolet ${(agent.artifacts.size / 1e6).toFixed(1)} MB)`,
    );
    if (!m.koletDevice) throw new Error('the platform attached no kolet disk (mkfs.ext4 missing?)');
    const upload = withoutDisk(m);
    const root = { user: 'root' };

    const catMs = [];
    const koletMs = [];
    const diskMs = [];
    const order = ['cat', 'kolet', 'disk'];
    for (let i = 0; i < rounds; i++) {
      for (const which of [...order.slice(i % 3), ...order.slice(0, i % 3)]) {
        if (which === 'cat') {
          await m.ssh('rm -f /var/tmp/bench.gz', root);
          const ms = await timed(async () => {
            const r = await m.ssh('cat > /var/tmp/bench.gz', { ...root, stdin: gz, timeoutMs: 1_200_000 });
            if (r.exitCode !== 0) throw new Error(`cat failed: ${r.stderr}`);
          });
          catMs.push(ms);
        } else {
          await m.ssh('umount /run/kolet-disk 2>/dev/null; rm -rf /var/lib/kolet', root);
          agent.forget(m);
          agent.forget(upload);
          if (which === 'disk') diskMs.push(await timed(() => agent.install(m)));
          else koletMs.push(await timed(() => agent.install(upload)));
        }
      }
      console.log(
        `round ${i + 1}: ssh cat > ${secs(catMs.at(-1))}, kolet upload ${secs(koletMs.at(-1))}, kolet disk ${secs(diskMs.at(-1))}`,
      );
    }
    // kolet is installed now (uploaded): what a later install (e.g. after a reboot) costs.
    await m.ssh('umount /run/kolet-disk 2>/dev/null; rm -rf /var/lib/kolet', root);
    agent.forget(upload);
    await agent.install(upload);
    agent.forget(upload);
    const probeMs = await timed(() => agent.install(upload));
    const version = await m.ssh('/var/lib/kolet/kolet version', root);

    const cat = median(catMs);
    const inst = median(koletMs);
    console.log(
      `median ssh cat > FILE (baseline): ${secs(cat)} (${(gz.length / 1e6 / (cat / 1000)).toFixed(2)} MB/s)`,
    );
    console.log(`median kolet install (probe + upload + gunzip + sha256 + rename): ${secs(inst)}`);
    console.log(`ratio kolet install / ssh cat: ${(inst / cat).toFixed(2)}`);
    const disk = median(diskMs);
    console.log(`median kolet from its read-only disk (mount + sha256 + link): ${secs(disk)} (goal ≤ 2 s)`);
    console.log(`ratio kolet disk / kolet upload: ${(disk / inst).toFixed(3)}`);
    console.log(`install when already there (probe only, runs '${version.stdout.trim()}'): ${secs(probeMs)}`);
  } finally {
    await flight?.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
