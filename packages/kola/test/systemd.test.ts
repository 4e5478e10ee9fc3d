// The systemd image's built-in tests end to end: the built kola bin, real qemu (TCG), the systemd
// image and kolet on the machines. One `kola run -b systemd` (the two built-in systemd tests,
// which share a config and so run on copies of one snapshot, and a --tests-dir module whose
// native function asks for a reboot) is asserted on from every side: report.json, the per-check
// output, the native functions, the deliberately failing spec, journal.txt and
// journal-raw.txt.gz. The same suite passes with --no-snapshot (every machine booted). Then
// `kola bootchart` on the same image, and on the tiny image (no systemd-analyze: exit 3).
import { mkdir, readFile, readdir, rm, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyImage, qemuPidsWith } from './qemu-helpers.js';
import {
  ensureBuilt,
  ensureSystemdImage,
  kola,
  kolaFailure,
  readReport,
  type KolaResult,
} from '@mantle/test-utils/systemd-image';

let cwd: string;
let out: string;
let run: KolaResult;

beforeAll(async () => {
  await ensureBuilt();
  await ensureSystemdImage();
  cwd = await mkdtemp(join(tmpdir(), 'kola-systemd-'));
  out = join(cwd, 'run');
  // A test module kola loads with --tests-dir and kolet loads with --module on the machine: its
  // native function reboots once (kolet's reboot protocol) and reports the mark afterwards.
  await mkdir(join(cwd, 'mods'));
  await writeFile(
    join(cwd, 'mods', 'reboot.mjs'),
    `import { readFileSync } from 'node:fs';
     export function register(registry, kola) {
       registry.register(kola.defineTest({
         name: 'mod.native-reboot',
         distros: ['systemd'],
         userData: 'variant: flatcar\\nversion: 1.0.0\\nsystemd:\\n  units:\\n    - name: e2scrub_reap.service\\n      mask: true\\n',
         nativeFuncs: {
           rebootOnce(ctx) {
             const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
             if (!ctx.rebootMark) { ctx.log('first boot ' + boot); ctx.rebootRequest('mark-1'); }
             return 'after ' + ctx.rebootMark + ' on boot ' + boot;
           },
         },
         run: async (c) => {
           const m = c.machines[0];
           const before = await m.bootId();
           const out = await c.runNative('rebootOnce', m);
           if (!out.includes('after mark-1 on boot ')) c.fatalf('rebootOnce printed %s', out);
           if (out.includes(before)) c.fatalf('the function ran again on the same boot %s', before);
         },
       }));
     }
`,
  );
  run = await kola(
    ['run', '-b', 'systemd', '-j', '2', '--tests-dir', 'mods', '--output-dir', out, '--json'],
    { cwd, timeoutMs: 1_500_000 },
  );
}, 1_800_000);

afterAll(async () => {
  expect(await qemuPidsWith(cwd)).toEqual([]);
  await rm(cwd, { recursive: true, force: true });
});

/** The machine directory of a test (one machine each). */
async function machineDir(test: string): Promise<string> {
  const entries = (await readdir(join(out, test))).filter((e) => e.startsWith('qemu-'));
  expect(entries).toHaveLength(1);
  return join(out, test, entries[0] ?? '');
}

describe('kola run -b systemd', () => {
  it('boots the systemd image and passes every systemd test', async () => {
    expect(run.code, kolaFailure(run)).toBe(0);
    expect(run.stderr).toContain(`PASS, output in ${out}`);
    const report = await readReport(out);
    expect(report).toMatchObject({ result: 'PASS', platform: 'qemu' });
    expect(report.tests.map((t) => [t.name, t.result])).toEqual([
      ['mod.native-reboot', 'PASS'],
      ['systemd.kolet', 'PASS'],
      ['systemd.kolet/native', 'PASS'],
      ['systemd.kolet/failing-spec', 'PASS'],
      ['systemd.kolet/checks', 'PASS'],
      ['systemd.units', 'PASS'],
      ['systemd.units/enabled', 'PASS'],
      ['systemd.units/masked', 'PASS'],
      ['systemd.units/dropin', 'PASS'],
      ['systemd.units/system-running', 'PASS'],
    ]);
    const props = JSON.parse(await readFile(join(out, 'properties.json'), 'utf8')) as {
      distro: string;
      image: { id?: string };
    };
    expect(props).toMatchObject({ distro: 'systemd', image: { id: 'mantle-systemd' } });
  });

  it('runs the native function inside kolet on the machine (as root)', async () => {
    const native = (await readReport(out)).tests.find((t) => t.name === 'systemd.kolet/native');
    expect(native?.output).toMatch(/native osRelease on qemu-\w+: PASS/);
    expect(native?.output).toContain('ID=mantle-systemd uid=0');
  });

  it('follows a reboot request of a --tests-dir module loaded by kolet on the machine', async () => {
    const t = (await readReport(out)).tests.find((x) => x.name === 'mod.native-reboot');
    expect(t?.output).toMatch(/native rebootOnce on qemu-\w+ asked for reboot 1 \(mark mark-1\)/);
    expect(t?.output).toMatch(/native rebootOnce on qemu-\w+: PASS after 1 reboot\(s\)/);
    expect(t?.output).toMatch(/first boot [0-9a-f-]{36}/);
    expect(t?.output).toMatch(/after mark-1 on boot [0-9a-f-]{36}/);
  });

  it('reports every check of the passing spec, of at least ten kinds', async () => {
    const checks = (await readReport(out)).tests.find((t) => t.name === 'systemd.kolet/checks')?.output ?? '';
    expect(checks).toMatch(
      /checks of test systemd\.kolet \(inline checks\) on qemu-\w+: Count: \d+, Failed: 0/,
    );
    const kinds = [
      'User',
      'Group',
      'File',
      'Service',
      'Process',
      'Port',
      'KernelParam',
      'Mount',
      'Command',
      'DNS',
      'HTTP',
      'Package',
      'Addr',
    ];
    const seen = kinds.filter((k) => new RegExp(`^ {4}ok {4}${k}: `, 'm').test(checks));
    expect(seen).toEqual(kinds);
    expect(checks).not.toMatch(/^ {4}FAIL/m);
    expect(checks).toContain('ok    HTTP: http://127.0.0.1:8080/: status: matches expectation: 200');
  });

  it('reports the deliberately failing spec as failed, naming each failed check', async () => {
    const failing =
      (await readReport(out)).tests.find((t) => t.name === 'systemd.kolet/failing-spec')?.output ?? '';
    expect(failing).toMatch(/Count: 5, Failed: 4/);
    for (const line of [
      'FAIL  User: kola-nobody-here: exists:',
      'FAIL  File: /etc/kola/does-not-exist: exists:',
      'FAIL  Port: tcp:9: listening:',
      'FAIL  Command: exit 3: exit-status:',
    ])
      expect(failing).toContain(line);
    expect(failing).toContain('ok    Service: kola-http.socket: running: matches expectation: true');
    expect(failing).toContain('the 4 deliberate failures were reported as failed');
  });

  it('saves journal.txt with the units’ output and journal-raw.txt.gz in the export format', async () => {
    const dir = await machineDir('systemd.units');
    const journal = await readFile(join(dir, 'journal.txt'), 'utf8');
    expect(journal).toMatch(/^\[\s*\d+\.\d+\] \S+ echo\[\d+\]: kola-hello-from-unit$/m);
    expect(journal).toContain('kola-dropin: from-dropin');
    const raw = gunzipSync(await readFile(join(dir, 'journal-raw.txt.gz'))).toString('utf8');
    expect(raw).toContain('MESSAGE=kola-hello-from-unit\n');
    expect(raw).toMatch(/^__CURSOR=/m);
    // the other machine has its own
    const kolet = await machineDir('systemd.kolet');
    expect(await readFile(join(kolet, 'journal.txt'), 'utf8')).toContain('kola-http.socket');
  });
});

describe('snapshots', () => {
  it('ran the two systemd tests on copies of one snapshot, kolet from its read-only disk', async () => {
    const report = JSON.parse(await readFile(join(out, 'reports', 'report.json'), 'utf8')) as {
      tests: { name: string; timing?: { restored?: boolean; kolet: number } }[];
    };
    const timing = (name: string) => report.tests.find((t) => t.name === name)?.timing;
    // kola's own words on the snapshot (made, or why not) when a machine booted instead
    const said = run.stderr
      .split('\n')
      .filter((l) => /snapshot|restor/i.test(l))
      .join('\n');
    expect(timing('systemd.units')?.restored, said).toBe(true);
    expect(timing('systemd.kolet')?.restored, said).toBe(true);
    expect(timing('mod.native-reboot')?.restored).toBeUndefined();
    expect(run.stderr).toMatch(/timing: boot \d+\.\ds \(restored from a snapshot/);
    // the copies' consoles begin with the template's boot
    const console = await readFile(join(await machineDir('systemd.kolet'), 'console.txt'), 'utf8');
    expect(console).toContain('mantle-systemd: ready');
    expect(console).toMatch(/--- kola: qemu-\w+ restored from snapshot \w+ ---/);
  });

  it('the systemd suite passes with --no-snapshot too', async () => {
    const dir = join(cwd, 'no-snapshot');
    const r = await kola(
      ['run', '-b', 'systemd', '-j', '2', '--no-snapshot', '--output-dir', dir, 'systemd.*'],
      {
        cwd,
        timeoutMs: 1_500_000,
      },
    );
    expect(r.code, kolaFailure(r)).toBe(0);
    const report = await readReport(dir);
    expect(report.result).toBe('PASS');
    expect(report.tests.map((t) => t.name)).toEqual(
      expect.arrayContaining(['systemd.kolet', 'systemd.units']),
    );
    expect(r.stderr).not.toContain('restored from a snapshot');
  }, 1_800_000);
});

describe('kola bootchart', () => {
  it('saves systemd-analyze plot and blame of a systemd machine', async () => {
    const dir = join(cwd, 'bootchart');
    const r = await kola(['bootchart', '--image', 'systemd', '--output-dir', dir], {
      cwd,
      timeoutMs: 900_000,
    });
    expect(r.code, kolaFailure(r)).toBe(0);
    expect(r.stdout).toMatch(/^Startup finished in .*\(kernel\)/m);
    expect(r.stdout).toContain(`bootchart: ${join(dir, 'bootchart.svg')}`);
    expect(r.stdout).toContain(`blame:     ${join(dir, 'blame.txt')}`);
    expect(await readFile(join(dir, 'bootchart.svg'), 'utf8')).toMatch(
      /^<\?xml[\s\S]*<svg [\s\S]*systemd-analyze/,
    );
    expect(await readFile(join(dir, 'blame.txt'), 'utf8')).toMatch(
      /^\s*\d+(\.\d+)?m?s \S+\.(service|device|mount)$/m,
    );
  });

  it('exits 3 on an image without systemd-analyze (tiny)', async () => {
    await ensureTinyImage();
    const r = await kola(['bootchart', '--output-dir', join(cwd, 'bootchart-tiny')], {
      cwd,
      timeoutMs: 300_000,
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('has no systemd-analyze');
  });
});
