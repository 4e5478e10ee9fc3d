// Benchmark: start-up time of the built `kola` binary — `kola --help` and `kola list` — against a
// bare `node -e 0` measured in the same process, as the mean of N runs each (sequential, so the
// runs do not compete for the CPU). Goal: `kola --help` under 300 ms.
//
//   pnpm --filter @mantle/core --filter @mantle/kola build && node bench/kola-startup.bench.mjs
//   BENCH_RUNS=20 node bench/kola-startup.bench.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const GOAL_MS = 300;
const bin = fileURLToPath(new URL('../packages/kola/dist/cli.js', import.meta.url));
if (!existsSync(bin)) {
  console.error(`${bin} is missing: pnpm --filter @mantle/core --filter @mantle/kola build`);
  process.exit(2);
}

// CPU time (user + sys) of waited-for children, from /proc/self/stat (cutime, cstime; 100 Hz
// ticks): unlike wall time it barely moves when other work shares the machine.
function childCpuMs() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

function time(args) {
  const c0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, cpu: childCpuMs() - c0 };
}

function measure(label, args) {
  time(args); // warm the file cache
  const runs = Array.from({ length: RUNS }, () => time(args));
  const samples = runs.map((r) => r.ms).sort((a, b) => a - b);
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  const cpu = runs.reduce((s, r) => s + r.cpu, 0) / runs.length;
  return { label, mean, cpu, median: samples[Math.floor(samples.length / 2)], min: samples[0] };
}

const baseline = measure('node -e 0', ['-e', '0']);
const coreUrl = new URL('../packages/core/dist/index.js', import.meta.url).href;
const rows = [
  baseline,
  measure('kola --help', [bin, '--help']),
  measure('kola list', [bin, 'list']),
  // what every mantle bin pays before its own code runs: loading @mantle/core
  measure('import core', ['--input-type=module', '-e', `await import(${JSON.stringify(coreUrl)})`]),
];
console.log(`kola start-up, mean of ${RUNS} runs each: wall ms (median, min), CPU ms`);
for (const r of rows) {
  const ratio =
    r === baseline
      ? ''
      : `  ${(r.mean / baseline.mean).toFixed(2)}x node -e 0 wall, ${(r.cpu / baseline.cpu).toFixed(2)}x CPU`;
  console.log(
    `  ${r.label.padEnd(13)} ${r.mean.toFixed(0).padStart(5)} ms (${r.median.toFixed(0)}, ${r.min.toFixed(0)}), cpu ${r.cpu.toFixed(0).padStart(4)} ms${ratio}`,
  );
}
const help = rows[1];
console.log(
  `kola --help: ${help.mean.toFixed(0)} ms, goal < ${GOAL_MS} ms: ${help.mean < GOAL_MS ? 'met' : 'NOT met'}`,
);
