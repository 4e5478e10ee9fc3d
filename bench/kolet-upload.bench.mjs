#!/usr/bin/env node
// kola's kolet upload (KoletAgent.install: probe, kolet.gz through SSH stdin, gunzip, sha256
// verified on the machine, chmod 0755, rename) against the same bytes sent with a plain
// `ssh ... 'cat > FILE'`, on one booted machine of the systemd image. Both go through the same
// Machine.ssh (one ssh2 connection as root), alternately; prints the medians and the ratio, plus
// what a second install costs when the probe finds kolet already there (after a reboot).
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
    const root = { user: 'root' };

    const catMs = [];
    const koletMs = [];
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? ['cat', 'kolet'] : ['kolet', 'cat'];
      for (const which of order) {
        if (which === 'cat') {
          await m.ssh('rm -f /var/tmp/bench.gz', root);
          const ms = await timed(async () => {
            const r = await m.ssh('cat > /var/tmp/bench.gz', { ...root, stdin: gz, timeoutMs: 1_200_000 });
            if (r.exitCode !== 0) throw new Error(`cat failed: ${r.stderr}`);
          });
          catMs.push(ms);
        } else {
          await m.ssh('rm -f /var/lib/kolet/kolet', root);
          agent.forget(m);
          koletMs.push(await timed(() => agent.install(m)));
        }
      }
      console.log(`round ${i + 1}: ssh cat > ${secs(catMs.at(-1))}, kolet install ${secs(koletMs.at(-1))}`);
    }
    // kolet is installed now: what a later install (e.g. after a reboot) costs.
    agent.forget(m);
    const probeMs = await timed(() => agent.install(m));
    const version = await m.ssh('/var/lib/kolet/kolet version', root);

    const cat = median(catMs);
    const inst = median(koletMs);
    console.log(
      `median ssh cat > FILE (baseline): ${secs(cat)} (${(gz.length / 1e6 / (cat / 1000)).toFixed(2)} MB/s)`,
    );
    console.log(`median kolet install (probe + upload + gunzip + sha256 + rename): ${secs(inst)}`);
    console.log(`ratio kolet install / ssh cat: ${(inst / cat).toFixed(2)}`);
    console.log(`install when already there (probe only, runs '${version.stdout.trim()}'): ${secs(probeMs)}`);
  } finally {
    await flight?.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
