// A 300-check spec in the goss style (gossfile layout, title/meta, pattern lists, quoted
// modes, commands with stdout patterns) run by `kolet check` from this tree against the kolet
// of another revision (default `main`: the run before goss's semantics), both bundled the same
// way and run by the same node: wall time, CPU and peak memory (max RSS), and their ratios.
// The spec keeps to what both read; the same checks written with goss's matchers (have-prefix,
// contain-element, lt, and/or ...) are measured for this tree alone (main refuses them).
//
//   node bench/kolet-goss.bench.mjs
//   BENCH_RUNS=10 BENCH_BASE=HEAD~5 node bench/kolet-goss.bench.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from './lib/bundle-ts.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BASE = process.env.BENCH_BASE ?? 'main';
const repo = fileURLToPath(new URL('..', import.meta.url));
const TIME = '/usr/bin/time'; // GNU time: the child's max RSS (%M, KiB)

function childCpuMs() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** One run under GNU time: wall ms, CPU ms, max RSS in MB, exit code, stdout. */
function once(script, args) {
  const c0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '%M', process.execPath, script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rssKiB = Number(r.stderr.trim().split('\n').pop());
  return {
    ms,
    cpu: childCpuMs() - c0,
    rssMB: rssKiB / 1024,
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

function measure(label, script, args) {
  const first = once(script, args); // warms the file cache; its result is checked by the caller
  const runs = Array.from({ length: RUNS }, () => once(script, args));
  const mean = (f) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
  return {
    label,
    first,
    ms: mean((r) => r.ms),
    cpu: mean((r) => r.cpu),
    rssMB: Math.max(...runs.map((r) => r.rssMB)),
  };
}

/** Bundle kolet's CLI from `root` (this repo or an extracted revision) into `out`. */
async function bundleKolet(root, out) {
  const entry = join(root, 'packages/kolet/src/bench-entry.ts');
  // cli.ts runs only as the entry point (import.meta.url); the bundle's entry calls main itself.
  writeFileSync(
    entry,
    "import { main } from '@mantle/core/cli';\nimport { cli } from './cli.js';\nawait main(cli);\n",
  );
  try {
    await bundleForNode(entry, out, { root, define: { __KOLET_VERSION__: '"bench"' } });
  } finally {
    if (root === repo) rmSync(entry, { force: true });
  }
}

/** The files a spec checks, and the kernel parameters as they are now. */
function prepare(dir) {
  for (let i = 0; i < 55; i++)
    writeFileSync(join(dir, `f${i}`), `# kolet bench ${i}\nversion=1.${i}.0\nname=file-${i}\n`, {
      mode: 0o644,
    });
  const params = [
    'kernel.ostype',
    'kernel.pid_max',
    'kernel.threads-max',
    'kernel.hostname',
    'kernel.osrelease',
    'kernel.randomize_va_space',
    'kernel.printk_ratelimit',
    'kernel.printk_ratelimit_burst',
    'kernel.msgmax',
    'kernel.msgmnb',
    'kernel.msgmni',
    'kernel.shmmni',
    'kernel.sem',
    'vm.overcommit_memory',
    'vm.swappiness',
    'vm.max_map_count',
    'net.ipv4.ip_forward',
    'net.ipv4.tcp_syncookies',
    'fs.file-max',
  ];
  return params.map((name) => ({
    name,
    value: readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8')
      .trim()
      .replace(/\s+/g, '\t'),
  }));
}

/** 300 checks; `matchers` writes the expectations with goss's matchers instead of plain values. */
function spec(dir, params, matchers) {
  const me = userInfo().username;
  const q = (s) => JSON.stringify(s);
  const out = ['file:'];
  for (let i = 0; i < 55; i++) {
    out.push(
      `  ${join(dir, `f${i}`)}:`,
      '    exists: true',
      `    title: bench file ${i}`,
      `    meta: {index: ${i}}`,
    );
    if (matchers) {
      out.push(
        `    mode: {or: ["0644", "0640"]}`,
        `    owner: {have-prefix: ${q(me.slice(0, 2))}}`,
        `    contents: {and: [{contain-element: ${q(`name=file-${i}`)}}, {contain-element: {match-regexp: "^version=1\\\\.[0-9]+\\\\.0$"}}]}`,
      );
    } else
      out.push(
        '    mode: "0644"',
        `    owner: ${me}`,
        `    contents: [${q(`name=file-${i}`)}, "/^version=1\\\\.[0-9]+\\\\.0$/"]`,
      );
  }
  out.push('user:');
  if (matchers)
    out.push(
      '  root: {exists: true, uid: {lt: 1}, gid: 0, home: {have-prefix: /root}}',
      '  daemon: {exists: true, uid: {lt: 1000}}',
    );
  else out.push('  root: {exists: true, uid: 0, gid: 0, home: /root}', '  daemon: {exists: true, uid: 1}');
  out.push('  nobody: {exists: true}'); // 7
  out.push('group:', '  root: {exists: true, gid: 0}', '  daemon: {exists: true}'); // 3
  out.push('kernel-param:');
  for (const p of params)
    out.push(`  ${p.name}: {value: ${matchers ? `{equal: ${q(p.value)}}` : q(p.value)}}`); // 19
  out.push('mount:');
  for (const [m, fs] of [
    ['/proc', 'proc'],
    ['/sys', 'sysfs'],
  ])
    out.push(
      `  ${m}: {exists: true, filesystem: ${fs}, opts: ${matchers ? '{contain-element: rw}' : '[rw]'}}`,
    ); // 6
  out.push('port:', '  tcp:1: {listening: false}', '  udp:1: {listening: false}'); // 2
  out.push('process:', '  kolet-bench-none-a: {running: false}', '  kolet-bench-none-b: {running: false}'); // 2
  out.push('interface:', '  lo: {exists: true}'); // 1
  out.push('command:');
  for (let i = 0; i < 20; i++) {
    out.push(`  "echo bench ${i}":`, `    exit-status: ${matchers ? '{lt: 1}' : '0'}`);
    out.push(`    stdout: ${matchers ? `{have-suffix: ${q(` ${i}\n`)}}` : `["bench ${i}"]`}`); // 40
  }
  return `${out.join('\n')}\n`; // 55*4 + 7 + 3 + 19 + 6 + 2 + 2 + 1 + 40 = 300
}

const work = mkdtempSync(join(tmpdir(), 'kolet-goss-bench-'));
try {
  // The other revision's sources, bundled with this install's node_modules.
  const baseRoot = join(work, 'base');
  mkdirSync(baseRoot);
  const tar = execFileSync('git', ['-C', repo, 'archive', BASE, 'packages/kolet/src', 'packages/core/src'], {
    maxBuffer: 1 << 30,
  });
  execFileSync('tar', ['-x', '-C', baseRoot], { input: tar });
  const now = join(work, 'kolet-now.mjs');
  const base = join(work, `kolet-${BASE.replace(/[^\w.-]/g, '_')}.mjs`);
  await bundleKolet(repo, now);
  await bundleKolet(baseRoot, base);

  const dir = join(work, 'files');
  mkdirSync(dir);
  const params = prepare(dir);
  writeFileSync(join(work, 'plain.yaml'), spec(dir, params, false));
  writeFileSync(join(work, 'matchers.yaml'), spec(dir, params, true));
  const args = (file) => ['check', join(work, file), '--format', 'json'];

  const check = (m, want) => {
    if (m.first.status !== 0)
      throw new Error(`${m.label} exited ${m.first.status}: ${m.first.stderr}${m.first.stdout.slice(-2000)}`);
    const s = JSON.parse(m.first.stdout).summary;
    if (s['test-count'] !== want || s['failed-count'] !== 0)
      throw new Error(`${m.label}: ${s['summary-line']}`);
  };
  const a = measure(`kolet ${BASE}, plain spec`, base, args('plain.yaml'));
  check(a, 300);
  const b = measure('kolet now, plain spec', now, args('plain.yaml'));
  check(b, 300);
  const c = measure('kolet now, matchers spec', now, args('matchers.yaml'));
  check(c, 300);
  const refused = once(base, args('matchers.yaml'));

  console.log(
    `kolet check, 300 goss-style checks on ${hostname()}, mean of ${RUNS} runs (node bundles, one node)`,
  );
  for (const m of [a, b, c])
    console.log(
      `  ${m.label.padEnd(26)} ${m.ms.toFixed(0).padStart(5)} ms wall, cpu ${m.cpu.toFixed(0).padStart(5)} ms, max RSS ${m.rssMB.toFixed(1)} MB`,
    );
  console.log(
    `  ratio now/${BASE} (plain spec): wall ${(b.ms / a.ms).toFixed(2)}x, cpu ${(b.cpu / a.cpu).toFixed(2)}x, memory ${(b.rssMB / a.rssMB).toFixed(2)}x`,
  );
  console.log(
    `  matchers spec vs plain spec (now): wall ${(c.ms / b.ms).toFixed(2)}x, cpu ${(c.cpu / b.cpu).toFixed(2)}x; kolet ${BASE} on the matchers spec: exit ${refused.status}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
