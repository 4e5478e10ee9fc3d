// Benchmark of the built kolet single executable (packages/kolet/dist/kolet):
//  - size: raw and gzip -1 (what kola sends over SSH), against the Node binary it is made from
//  - start-up: `kolet version` against `node -e 0`, mean of N sequential runs (wall and CPU)
//  - a 100-check spec (files, users, kernel parameters, ports, mounts, processes, commands)
//    run by `kolet check`, against the `kolet version` start-up (so: what the checks add)
//
//   pnpm --filter @mantle/kolet build && node bench/kolet.bench.mjs
//   BENCH_RUNS=20 node bench/kolet.bench.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const kolet = fileURLToPath(new URL('../packages/kolet/dist/kolet', import.meta.url));
if (!existsSync(kolet)) {
  console.error(`${kolet} is missing: pnpm --filter @mantle/kolet build`);
  process.exit(2);
}

// CPU time (user + sys) of waited-for children, from /proc/self/stat (cutime, cstime; 100 Hz
// ticks): unlike wall time it barely moves when other work shares the machine.
function childCpuMs() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

function time(cmd, args, okCodes = [0]) {
  const c0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/env', ['-i', cmd, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!okCodes.includes(r.status))
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout.slice(-2000)}`);
  return { ms, cpu: childCpuMs() - c0, stdout: r.stdout };
}

function measure(label, cmd, args) {
  time(cmd, args); // warm the file cache (100 MB executable)
  const runs = Array.from({ length: RUNS }, () => time(cmd, args));
  const samples = runs.map((r) => r.ms).sort((a, b) => a - b);
  return {
    label,
    mean: samples.reduce((s, x) => s + x, 0) / samples.length,
    median: samples[Math.floor(samples.length / 2)],
    min: samples[0],
    cpu: runs.reduce((s, r) => s + r.cpu, 0) / runs.length,
    last: runs[runs.length - 1],
  };
}

/** 100 checks over 7 kinds that need nothing but this machine. */
function hundredCheckSpec(dir) {
  const lines = ['file:'];
  for (let i = 0; i < 40; i++) {
    writeFileSync(join(dir, `f${i}`), `line ${i}\nkolet bench\n`, { mode: 0o644 });
    lines.push(`  ${join(dir, `f${i}`)}: {exists: true, contents: [kolet]}`); // 2 checks each: 80
  }
  lines.push('user:', '  root: {exists: true, uid: 0, home: /root}', '  daemon: {exists: true}'); // 4
  lines.push(
    'kernel-param:',
    '  kernel.ostype: {value: Linux}',
    '  kernel.pid_max: {value: /proc/sys/kernel/pid_max}'.replace(
      '/proc/sys/kernel/pid_max',
      readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim(),
    ),
  ); // 2
  lines.push('port:', '  tcp:1: {listening: false}', '  udp:1: {listening: false}'); // 2
  lines.push('mount:', '  /proc: {exists: true, filesystem: proc}'); // 2
  lines.push('process:', '  kolet-bench-none: {running: false}'); // 1
  lines.push('command:');
  for (let i = 0; i < 3; i++) lines.push(`  "echo bench ${i}": {exit-status: 0, stdout: [bench]}`); // 6
  lines.push('group:', '  root: {exists: true, gid: 0}', '  daemon: {exists: true}'); // 3 -> 100
  return lines.join('\n') + '\n';
}

const dir = mkdtempSync(join(tmpdir(), 'kolet-bench-'));
try {
  const size = statSync(kolet).size;
  const gz = statSync(`${kolet}.gz`).size;
  const nodeSize = statSync(process.execPath).size;
  writeFileSync(join(dir, 'spec.yaml'), hundredCheckSpec(dir));

  const node = measure('node -e 0', process.execPath, ['-e', '0']);
  const version = measure('kolet version', kolet, ['version']);
  const checks = measure('kolet check (100)', kolet, ['check', join(dir, 'spec.yaml'), '--format', 'json']);
  const summary = JSON.parse(checks.last.stdout).summary;
  if (summary['test-count'] !== 100 || summary['failed-count'] !== 0)
    throw new Error(`spec did not pass 100 checks: ${summary['summary-line']}`);

  console.log(`kolet single executable (${kolet})`);
  console.log(
    `  size      ${(size / 1e6).toFixed(1)} MB raw (${(size / nodeSize).toFixed(3)}x the node binary), ${(gz / 1e6).toFixed(1)} MB gzip -1 (${(gz / size).toFixed(2)}x raw)`,
  );
  console.log(
    `start-up and a 100-check spec, mean of ${RUNS} runs each, env -i: wall ms (median, min), CPU ms`,
  );
  for (const r of [node, version, checks]) {
    const vsNode = r === node ? '' : `  ${(r.mean / node.mean).toFixed(2)}x node -e 0`;
    const vsVersion =
      r === checks
        ? `, ${(r.mean / version.mean).toFixed(2)}x kolet version (checks add ${(r.mean - version.mean).toFixed(0)} ms; in-run ${(summary['total-duration'] / 1e6).toFixed(0)} ms)`
        : '';
    console.log(
      `  ${r.label.padEnd(18)} ${r.mean.toFixed(0).padStart(5)} ms (${r.median.toFixed(0)}, ${r.min.toFixed(0)}), cpu ${r.cpu.toFixed(0).padStart(4)} ms${vsNode}${vsVersion}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
