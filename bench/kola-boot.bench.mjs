#!/usr/bin/env node
// Boot-to-SSH of the tiny image through kola's qemu platform (createQemuFlight → newMachine →
// ssh `true`) against qemu started by hand with the same kernel, initrd, command line and an
// equivalent Ignition config, timed until the image's ready marker appears on the console.
// Both run alternately in this process; prints the medians and the ratio (goal ≤ 1.10).
//
// Usage: node bench/kola-boot.bench.mjs [rounds]     (default 3; needs images/tiny/build.sh done)
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleForNode } from './lib/bundle-ts.mjs';
import { kolaLikeQemuArgs } from './lib/qemu-args.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 3);

// Bundle the platform from source (our code only; node_modules stay external by absolute path).
async function loadPlatform(dir) {
  const entry = join(dir, 'qemu-platform-entry.ts');
  const from = (path) => JSON.stringify(join(repo, path));
  await writeFile(
    entry,
    [
      `export { createQemuFlight, mantleCacheDir } from ${from('packages/kola/src/platform/qemu/index.ts')};`,
      `export { createLogger, generateKeyPair, dataUrl } from ${from('packages/core/src/index.ts')};`,
    ].join('\n'),
  );
  const outfile = join(dir, 'qemu-platform.mjs');
  await bundleForNode(entry, outfile);
  return import(pathToFileURL(outfile).href);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// The tiny image reports when it got ready, in seconds of guest uptime ("... 4.70s after kernel start").
const guestSeconds = (text) =>
  Number(/ready \(ssh on port 22, ([\d.]+)s after kernel start\)/.exec(text)?.[1] ?? NaN);

async function byHand(dir, tinyDir, manifest, ignitionPath, i) {
  const consolePath = join(dir, `hand-${i}.console`);
  await writeFile(consolePath, '');
  const t0 = performance.now();
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      ...kolaLikeQemuArgs({ consolePath }),
      '-kernel',
      join(tinyDir, 'vmlinuz'),
      '-initrd',
      join(tinyDir, 'initrd.img'),
      '-append',
      manifest.cmdline,
      '-fw_cfg',
      `name=opt/org.flatcar-linux/config,file=${ignitionPath}`,
    ],
    { stdio: 'ignore' },
  );
  try {
    for (;;) {
      const text = await readFile(consolePath, 'latin1');
      if (text.includes(manifest.readyMarker))
        return { ms: performance.now() - t0, guest: guestSeconds(text) };
      if (qemu.exitCode !== null) throw new Error('qemu exited during the baseline boot');
      if (performance.now() - t0 > 180_000) throw new Error(`no ready marker in 180 s (${consolePath})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    qemu.kill('SIGKILL');
    await new Promise((r) => (qemu.exitCode !== null ? r() : qemu.once('exit', r)));
  }
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'kola-boot-bench-'));
  try {
    const p = await loadPlatform(dir);
    const tinyDir = join(p.mantleCacheDir(), 'images', 'tiny-latest');
    const manifest = JSON.parse(await readFile(join(tinyDir, 'manifest.json'), 'utf8'));
    const logger = p.createLogger({ level: process.env.BENCH_DEBUG ? 'debug' : 'warn', timestamps: true });
    const tf = performance.now();
    // sshRetries 18 × 10 s: a boot that hangs fails the bench after 3 minutes instead of 10
    const flight = await p.createQemuFlight({
      outputDir: join(dir, 'out'),
      tmpDir: dir,
      logger,
      accel: 'tcg',
      sshRetries: 18,
    });
    const flightMs = performance.now() - tf;
    // The baseline gets an Ignition config like kola's (an SSH key for core and root).
    const key = await p.generateKeyPair({ dir: join(dir, 'hand-key') });
    const ignitionPath = join(dir, 'hand-ignition.json');
    const users = ['core', 'root'].map((name) => ({ name, sshAuthorizedKeys: [key.publicKey] }));
    await writeFile(ignitionPath, JSON.stringify({ ignition: { version: '3.3.0' }, passwd: { users } }));

    const hand = [];
    const kola = [];
    const handGuest = [];
    const kolaGuest = [];
    const runHand = async (i) => {
      const h = await byHand(dir, tinyDir, manifest, ignitionPath, i);
      hand.push(h.ms);
      handGuest.push(h.guest);
    };
    const runKola = async (i) => {
      // one machine, no private LAN: how kola boots a single-machine test
      const cluster = await flight.newCluster({
        name: `bench-${i}`,
        outputDir: join(dir, 'out', `bench-${i}`),
        privateNetwork: false,
      });
      const t0 = performance.now();
      const m = await cluster.newMachine();
      const r = await m.ssh('true');
      kola.push(performance.now() - t0);
      if (r.exitCode !== 0) throw new Error('ssh true failed');
      kolaGuest.push(guestSeconds(await m.consoleOutput()));
      await cluster.destroy();
    };
    for (let i = 0; i < rounds; i++) {
      // alternate who goes first, so neither side always boots right after the other
      if (i % 2 === 0) {
        await runHand(i);
        await runKola(i);
      } else {
        await runKola(i);
        await runHand(i);
      }
      console.error(
        `round ${i + 1}/${rounds}: by hand ${(hand[i] / 1000).toFixed(2)} s (guest ${handGuest[i]} s), ` +
          `kola ${(kola[i] / 1000).toFixed(2)} s (guest ${kolaGuest[i]} s)`,
      );
    }
    await flight.destroy();
    const h = median(hand);
    const k = median(kola);
    console.log(
      JSON.stringify(
        {
          bench: 'kola-boot',
          rounds,
          flightSetupMs: Math.round(flightMs),
          baselineMedianMs: Math.round(h),
          kolaMedianMs: Math.round(k),
          // the guest's own "ready after N s of uptime": equal medians mean the difference is host-side
          baselineGuestReadyMedianS: median(handGuest),
          kolaGuestReadyMedianS: median(kolaGuest),
          ratio: Number((k / h).toFixed(3)),
          goal: 1.1,
        },
        null,
        2,
      ),
    );
  } finally {
    if (!process.env.KEEP) await rm(dir, { recursive: true, force: true });
  }
}

await main();
