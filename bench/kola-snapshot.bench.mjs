#!/usr/bin/env node
// Machine snapshots, two ways:
//
// 1. restored vs cold: through kola's qemu platform on the tiny image, a machine started from a
//    snapshot (`newMachine(undefined, { snapshot: true })`, after the snapshot exists) against
//    one booted (`newMachine()`), alternately, one machine at a time, until each is ready (SSH
//    login and readiness or new identity). Prints the medians, the ratio (goal ≤ 0.2) and the
//    restored machines' qemu-start → sshd-answering time (goal ≤ 1.5 s).
// 2. the built-in tiny suite through the built kola bin at -j 2: today's defaults
//    (`--snapshot --share`: snapshots and shared machines) against `--no-snapshot --no-share`
//    (every test boots its own), alternately; ratio of wall times (goal ≤ 0.33). From each
//    run's report.json: where the seconds went (boot, ssh, kolet, body, teardown summed over the
//    tests; restored vs booted machines), per test (median over the rounds), and how busy the
//    -j 2 places were (sum of test durations / (2 × wall)): what a faster machine or a better
//    schedule could still win.
//
// Usage: node bench/kola-snapshot.bench.mjs [rounds] [suite-rounds]   (default 5 and 2; needs
// `pnpm build` and the tiny image)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const suiteRounds = Number(process.argv[3] ?? 2);
const kolaBin = join(repo, 'packages/kola/dist/cli.js');
// KOLA_DIST: another build of kola beside dist/ (e.g. a copy of main's) for interleaved comparisons
const kola = await import(
  pathToFileURL(join(repo, 'packages/kola', process.env.KOLA_DIST ?? 'dist', 'index.js')).href
);
const core = await import(pathToFileURL(join(repo, 'packages/core/dist/index.js')).href);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// CPU seconds of this process's reaped children (qemu, the kola bin; /proc/self/stat cutime +
// cstime, in clock ticks of 1/100 s): on a loaded host wall time says as much about the
// neighbours as about kola, CPU time much less.
const childCpuS = () => {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
};
const load = () => spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ')[0];

async function restoredVsCold(dir) {
  const logger = core.createLogger({ level: process.env.BENCH_DEBUG ? 'debug' : 'warn' });
  const { opts } = await kola.chooseImage(kola.parseRunOptions({}), process.env, repo);
  const flight = await kola.platforms.qemu({
    run: opts,
    outputDir: join(dir, 'out'),
    logger,
    signal: new AbortController().signal,
    env: process.env,
  });
  const start = async (i, snapshot) => {
    const c = await flight.newCluster({
      name: `b${i}-${snapshot}`,
      outputDir: join(dir, 'out', `b${i}-${snapshot}`),
      privateNetwork: false,
    });
    const t0 = performance.now();
    const cpu0 = childCpuS();
    const m = await c.newMachine(undefined, snapshot ? { snapshot: true } : {});
    const ms = performance.now() - t0;
    const timings = m.timings;
    await c.destroy();
    // qemu's CPU (counted once it is reaped): the boot or restore and the few ms of destroy
    return { ms, timings, cpuS: childCpuS() - cpu0 };
  };
  try {
    const t0 = performance.now();
    const first = await start(0, true); // makes the snapshot
    console.error(
      `snapshot made and first copy ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (load ${load()})`,
    );
    if (!first.timings?.restored) throw new Error('the machine was not restored: snapshots do not work here');
    const cold = [];
    const restored = [];
    const toSsh = [];
    const coldCpu = [];
    const restoredCpu = [];
    for (let i = 1; i <= rounds; i++) {
      const order = i % 2 ? [false, true] : [true, false];
      for (const snap of order) {
        const r = await start(i, snap);
        (snap ? restored : cold).push(r.ms);
        (snap ? restoredCpu : coldCpu).push(r.cpuS);
        if (snap) toSsh.push(r.timings.qemuToSshMs);
      }
      console.error(
        `round ${i}/${rounds} (load ${load()}): cold ${(cold.at(-1) / 1000).toFixed(2)} s, restored ` +
          `${(restored.at(-1) / 1000).toFixed(2)} s (sshd answering ${(toSsh.at(-1) / 1000).toFixed(2)} s after qemu started); ` +
          `qemu CPU cold ${coldCpu.at(-1).toFixed(2)} s, restored ${restoredCpu.at(-1).toFixed(2)} s`,
      );
    }
    return {
      coldMedianMs: Math.round(median(cold)),
      restoredMedianMs: Math.round(median(restored)),
      restoredQemuToSshMedianMs: Math.round(median(toSsh)),
      ratio: Number(median(restored.map((r, i) => r / cold[i])).toFixed(3)),
      goal: 0.2,
      coldCpuMedianS: Number(median(coldCpu).toFixed(2)),
      restoredCpuMedianS: Number(median(restoredCpu).toFixed(2)),
      cpuRatio: Number(median(restoredCpu.map((r, i) => r / coldCpu[i])).toFixed(3)),
    };
  } finally {
    await flight.destroy();
  }
}

// Per-phase seconds of one suite run, from its report.json (top-level tests only: subtests
// carry no timing of their own).
function suitePhases(out) {
  const report = JSON.parse(readFileSync(join(out, 'reports', 'report.json'), 'utf8'));
  const phases = { boot: 0, ssh: 0, kolet: 0, body: 0, teardown: 0 };
  const tests = {};
  let restored = 0;
  let booted = 0;
  let durations = 0;
  for (const t of report.tests) {
    if (t.name.includes('/')) continue;
    durations += t.duration / 1e9;
    tests[t.name] = { s: t.duration / 1e9 };
    if (!t.timing) continue;
    for (const k of Object.keys(phases)) phases[k] += (t.timing[k] ?? 0) / 1e9;
    tests[t.name] = {
      s: t.duration / 1e9,
      ...Object.fromEntries(Object.keys(phases).map((k) => [k, (t.timing[k] ?? 0) / 1e9])),
      restored: t.timing.restored === true,
      // a later test of a shared group: its machine was there already
      onSharedMachine: t.timing.restored !== true && t.timing.boot === 0,
    };
    // a test on a shared machine after the first has no boot of its own
    if (t.timing.restored) restored++;
    else if (t.timing.boot > 0) booted++;
  }
  return { phases, tests, restored, booted, durations };
}

function suite(dir, i, flags) {
  const out = join(dir, `suite-${i}-${flags.length ? 'today' : 'new'}`);
  const t0 = performance.now();
  const cpu0 = childCpuS();
  const r = spawnSync(process.execPath, [kolaBin, 'run', '-j', '2', '--output-dir', out, ...flags], {
    encoding: 'utf8',
    timeout: 1_800_000,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`kola run ${flags.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return { ms, cpuS: childCpuS() - cpu0, ...suitePhases(out) };
}

const round2 = (x) => Number(x.toFixed(2));

// Medians over the rounds of the per-phase sums and of each test's phases.
function phaseSummary(runs) {
  const phases = {};
  for (const k of Object.keys(runs[0].phases)) phases[k] = round2(median(runs.map((r) => r.phases[k])));
  const tests = {};
  for (const name of Object.keys(runs[0].tests)) {
    const per = runs.map((r) => r.tests[name]).filter(Boolean);
    tests[name] = {};
    for (const k of Object.keys(per[0])) {
      tests[name][k] = typeof per[0][k] === 'number' ? round2(median(per.map((p) => p[k]))) : per[0][k];
    }
  }
  return {
    wallMedianS: round2(median(runs.map((r) => r.ms / 1000))),
    phaseSumsS: phases,
    testsBooting: runs[0].booted,
    testsRestored: runs[0].restored,
    // how much of the two places' time went to tests at all (the rest: waiting on templates,
    // kola's own start and end, scheduling gaps)
    placesBusy: round2(median(runs.map((r) => r.durations / (2 * (r.ms / 1000))))),
    tests,
  };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'kola-snapshot-bench-'));
  try {
    const machines = rounds > 0 ? await restoredVsCold(dir) : undefined;
    const today = [];
    const now = [];
    const todayCpu = [];
    const nowCpu = [];
    const todayRuns = [];
    const nowRuns = [];
    for (let i = 0; i < suiteRounds; i++) {
      const order = i % 2 ? ['now', 'today'] : ['today', 'now'];
      for (const which of order) {
        const r = which === 'today' ? suite(dir, i, ['--no-snapshot', '--no-share']) : suite(dir, i, []);
        (which === 'today' ? today : now).push(r.ms);
        (which === 'today' ? todayCpu : nowCpu).push(r.cpuS);
        (which === 'today' ? todayRuns : nowRuns).push(r);
      }
      console.error(
        `suite round ${i + 1}/${suiteRounds} (load ${load()}): --no-snapshot --no-share ${(today.at(-1) / 1000).toFixed(1)} s, ` +
          `defaults (snapshots, sharing) ${(now.at(-1) / 1000).toFixed(1)} s; CPU (kola and qemu) ` +
          `${todayCpu.at(-1).toFixed(1)} s vs ${nowCpu.at(-1).toFixed(1)} s`,
      );
      for (const [label, r] of [
        ['--no-snapshot --no-share', todayRuns.at(-1)],
        ['defaults', nowRuns.at(-1)],
      ]) {
        const p = Object.entries(r.phases)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(', ');
        console.error(
          `  ${label}: phases summed over tests (s): ${p}; ${r.booted} tests booted their machines, ${r.restored} restored them`,
        );
      }
    }
    console.log(
      JSON.stringify(
        {
          bench: 'kola-snapshot',
          restoredVsCold: machines,
          tinySuite:
            suiteRounds > 0
              ? {
                  todayFlagsMedianMs: Math.round(median(today)),
                  snapshotsAndSharingMedianMs: Math.round(median(now)),
                  ratio: Number(median(now.map((n, i) => n / today[i])).toFixed(3)),
                  goal: 0.33,
                  todayFlagsCpuMedianS: Number(median(todayCpu).toFixed(1)),
                  snapshotsAndSharingCpuMedianS: Number(median(nowCpu).toFixed(1)),
                  cpuRatio: Number(median(nowCpu.map((n, i) => n / todayCpu[i])).toFixed(3)),
                  loadAtEnd: Number(load()),
                  defaults: phaseSummary(nowRuns),
                  todayFlags: phaseSummary(todayRuns),
                }
              : undefined,
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
