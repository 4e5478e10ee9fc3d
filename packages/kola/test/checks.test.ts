// `kola check --image IMAGE SPEC...` end to end: the built bin boots one machine of the tiny image
// and ONE machine of the systemd image (real qemu, TCG), uploads kolet and runs specs with no test
// code at all: on the systemd machine this file's spec and the goss corpus' 01-07 in turn, each
// with its own reports. The bad inputs (an invalid spec, bad -e/--vars, a missing kolet) are
// refused before anything boots.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qemuPidsWith } from './qemu-helpers.js';
import { ensureBuilt, ensureSystemdImage, kola, type KolaResult } from '@mantle/test-utils/systemd-image';

let cwd: string;
const corpus = fileURLToPath(new URL('../../kolet/test/goss-corpus/', import.meta.url));

/** The machine the corpus' 01-system and 03-templates specs expect, as goss-corpus.test.ts sets up on this machine. */
const CORPUS_BUTANE = `variant: flatcar
version: 1.0.0
storage:
  files:
    - path: /var/lib/kt-corpus/motd
      contents: { inline: "welcome to kolet\\n\\n" }
    - path: /var/lib/kt-corpus/token
      contents: { inline: "  0123456789ab\\n" }
    - path: /var/lib/kt-corpus/db.conf
      contents: { inline: "$rc = 'mysql://rcuser:pw42@localhost/roundcube_main';\\n" }
    - path: /var/lib/kt-corpus/http.sh
      mode: 0755
      contents:
        inline: |
          #!/bin/sh
          # One HTTP request: /health is 200 text/plain, anything else 404.
          cr=$(printf '\\r')
          IFS=' ' read -r _ path _
          while IFS= read -r line; do [ "$line" = "$cr" ] || [ -z "$line" ] && break; done
          if [ "$path" = /health ]; then status='200 OK' body='status ok'; else status='404 Not Found' body='not found'; fi
          printf 'HTTP/1.0 %s\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s\\n' "$status" $((\${#body} + 1)) "$body"
systemd:
  units:
    - name: kt-corpus-http.socket
      enabled: true
      contents: |
        [Socket]
        ListenStream=127.0.0.1:8090
        Accept=yes
        [Install]
        WantedBy=sockets.target
    - name: kt-corpus-http@.service
      contents: |
        [Service]
        ExecStart=/var/lib/kt-corpus/http.sh
        StandardInput=socket
        StandardOutput=socket
        StandardError=journal
    - name: kt-corpus-proc.service
      enabled: true
      contents: |
        [Unit]
        Description=a process named kt-corpus-proc (the spec's KT_PROC)
        Before=mantle-ready.service
        [Service]
        ExecStartPre=/bin/cp /bin/sleep /run/kt-corpus-proc
        ExecStart=/run/kt-corpus-proc infinity
        [Install]
        WantedBy=multi-user.target
`;

beforeAll(async () => {
  await ensureBuilt();
  cwd = await mkdtemp(join(tmpdir(), 'kola-check-'));
  await writeFile(
    join(cwd, 'spec.yaml'),
    [
      'user:',
      '  core: { exists: true, uid: 500, groups: [core, sudo, wheel, adm, systemd-journal] }',
      'file:',
      "  /etc/.ignition-done: { exists: true, contents: ['/^status=ok$/'] }",
      'service:',
      '  ssh: { enabled: true, running: true }',
      'port:',
      '  tcp:22: { listening: true }',
      'package:',
      '  openssh-server: { installed: true }',
      'command:',
      '  systemctl is-system-running: { exit-status: 0, stdout: [running] }',
      '  # deliberately wrong: kola check must exit 1 and say which check failed',
      '  cat /usr/lib/os-release: { exit-status: 0, stdout: [ID=flatcar] }',
      '',
    ].join('\n'),
  );
  // What the corpus' 01 and 03 read from the host, provisioned on the image (see the corpus test).
  await writeFile(join(cwd, 'corpus.bu'), CORPUS_BUTANE);
  await writeFile(join(cwd, 'typo.yaml'), 'file:\n  /etc/hosts: { exists: true, mdoe: "0644" }\n');
}, 900_000);

afterAll(async () => {
  expect(await qemuPidsWith(cwd)).toEqual([]);
  await rm(cwd, { recursive: true, force: true });
});

interface GossReport {
  results: { 'resource-type': string; 'resource-id': string; property: string; result: number }[];
  summary: Record<string, number>;
}

/** The failing checks (sorted) and the summary of a goss JSON report. */
function decided(report: GossReport): { failing: string[]; summary: Record<string, number> } {
  const failing = report.results
    .filter((x) => x.result === 1)
    .map((x) => `${x['resource-type']}: ${x['resource-id'].replaceAll(KT, '$KT_DIR')}: ${x.property}`);
  return { failing: failing.sort(), summary: report.summary };
}

const KT = '/var/lib/kt-corpus';
// Every spec that runs on the systemd image, in the order they run on its ONE machine (a cold
// systemd boot is tens of CPU-seconds under TCG, so the specs share it, as `kola check` lets them):
// this file's own spec, then the corpus specs unchanged.
const SPECS = [
  'spec',
  '01-system',
  '02-matchers',
  '03-templates',
  '04-includes',
  '05-image-style',
  '06-systemd-image',
  '07-suite-style',
];
const specPath = (s: string): string => (s === 'spec' ? join(cwd, 'spec.yaml') : join(corpus, `${s}.yaml`));

describe('kola check', () => {
  it('runs a spec on the tiny image (it carries the C++ runtime kolet links): TAP on stdout, the reports and console kept', async () => {
    await writeFile(
      join(cwd, 'tiny.yaml'),
      [
        'file:',
        "  /etc/os-release: { exists: true, contains: ['ID=mantle-tiny'] }",
        'user:',
        '  core: { exists: true }',
        'command:',
        '  uname -s: { exit-status: 0, stdout: [Linux] }',
        'interface:',
        '  lo: { exists: true, mtu: 65536 }',
        '',
      ].join('\n'),
    );
    const r = await kola(
      ['check', '--image', 'tiny', 'tiny.yaml', '--format', 'tap', '--output-dir', 'out-tiny'],
      { cwd, timeoutMs: 600_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0], r.stderr).toBe('1..7');
    expect(r.stdout).toMatch(/^ok \d+ - File: \/etc\/os-release: contains: matches expectation/m);
    expect(r.stdout).toMatch(/^ok \d+ - Interface: lo: mtu: matches expectation: 65536$/m);
    expect(lines.filter((l) => l.startsWith('not ok'))).toEqual([]);
    // one spec: the goss report stays in the output directory as check-report.<format> and the JSON
    expect(await readFile(join(cwd, 'out-tiny', 'check-report.tap'), 'utf8')).toBe(r.stdout);
    const kept = JSON.parse(await readFile(join(cwd, 'out-tiny', 'check-report.json'), 'utf8')) as {
      summary: Record<string, number>;
    };
    expect(kept.summary).toMatchObject({ 'test-count': 7, 'failed-count': 0 });
    // the machine's console stays in the output directory
    const machines = await readdir(join(cwd, 'out-tiny', 'machines'));
    expect(machines).toHaveLength(1);
    expect(await readdir(join(cwd, 'out-tiny', 'machines', machines[0] ?? ''))).toContain('console.txt');
  });

  describe('on one provisioned machine of the systemd image', () => {
    const out = (): string => join(cwd, 'out-systemd');
    let run: KolaResult;
    const report = async (name: string): Promise<{ failing: string[]; summary: Record<string, number> }> =>
      decided(JSON.parse(await readFile(join(out(), `check-report-${name}.json`), 'utf8')) as GossReport);

    beforeAll(async () => {
      await ensureSystemdImage();
      // The specs stay as they are: what 01 and 03 read from the host (a file directory, a TCP
      // port, an HTTP server, a named process, a token and a DB config) is provisioned by Butane,
      // and -e points the specs' .Env at it; each spec's --vars file is passed (their names do not
      // overlap), 07's --vars-inline over them.
      run = await kola(
        [
          'check',
          '--image',
          'systemd',
          '--userdata',
          'corpus.bu',
          ...SPECS.map(specPath),
          ...['03-vars', '06-vars', '07-vars'].flatMap((v) => ['--vars', join(corpus, `${v}.yaml`)]),
          '--vars-inline',
          '{overwrite: inline}',
          ...[
            'OS=debian',
            `KT_DIR=${KT}`,
            'KT_PORT=8090',
            'KT_HTTP=http://127.0.0.1:8090',
            'KT_PROC=kt-corpus-proc',
            'MACHINE_TYPE=machine',
            `KT_TOKEN=${KT}/token`,
            `KT_DBCONF=${KT}/db.conf`,
            'PROFILE=strict',
          ].flatMap((e) => ['-e', e]),
          // One check at a time: the specs' own 1 s and 5 s timeouts (addr, http) must not race
          // 60 concurrent checks on a TCG machine shared with other tests.
          '--max-concurrent',
          '1',
          '--format',
          'tap',
          '--output-dir',
          out(),
          '--json',
        ],
        { cwd, timeoutMs: 1_200_000 },
      );
    }, 1_300_000);

    it('runs every spec on the one machine; a failed check is exit 1; each spec keeps its reports', () => {
      expect(run.code, run.stderr).toBe(1);
      const result = JSON.parse(run.stdout) as {
        passed: boolean;
        checks: { spec: string; passed: boolean; reports: string[] }[];
      };
      expect(result.passed).toBe(false);
      expect(result.checks.map((c) => [c.spec, c.passed])).toEqual(
        SPECS.map((s) => [specPath(s), s === '04-includes']),
      );
      // Each spec's report is kept apart: the chosen format and goss's JSON.
      expect(result.checks.map((c) => c.reports.map((f) => f.slice(out().length + 1)))).toEqual(
        SPECS.map((s) => [`check-report-${s}.tap`, `check-report-${s}.json`]),
      );
    });

    it("runs this file's spec: the failed check named in the TAP report, the machine's console kept", async () => {
      const tap = await readFile(join(out(), 'check-report-spec.tap'), 'utf8');
      const lines = tap.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^1\.\.\d+$/);
      expect(tap).toContain('ok 1 - User: core: exists: matches expectation: true');
      expect(tap).toMatch(/^ok \d+ - User: core: groups: matches expectation/m);
      expect(tap).toMatch(/^ok \d+ - Service: ssh: running: matches expectation: true$/m);
      expect(tap).toMatch(
        /^ok \d+ - Command: systemctl is-system-running: stdout: matches expectation: \["running"\]$/m,
      );
      expect(tap).toMatch(/^not ok \d+ - Command: cat \/usr\/lib\/os-release: stdout: /m);
      expect(lines.filter((l) => l.startsWith('not ok'))).toHaveLength(1);
      expect((await report('spec')).summary['failed-count']).toBe(1);
      const machines = await readdir(join(out(), 'machines'));
      expect(machines).toHaveLength(1);
      expect(await readdir(join(out(), 'machines', machines[0] ?? ''))).toContain('console.txt');
    });

    /** A spec's failing checks and its counts (checks, failed, skipped) as goss decides them. */
    const expectDecided = async (
      name: string,
      failing: string[],
      [tests, failed, skipped]: [number, number, number],
    ): Promise<void> => {
      const r = await report(name);
      expect(r.failing, name).toEqual([...failing].sort());
      expect(r.summary, name).toMatchObject({
        'test-count': tests,
        'failed-count': failed,
        'skipped-count': skipped,
      });
    };

    it("decides the corpus' 01-05 (system, matchers, templates, includes, image style) as on this machine", async () => {
      // The same counts and failing checks as goss-corpus.test.ts gets on this machine.
      await expectDecided(
        '01-system',
        [
          'File: $KT_DIR/missing: exists',
          'File: $KT_DIR/motd: md5',
          'HTTP: http://127.0.0.1:8090/missing: status',
        ],
        [60, 3, 4],
      );
      await expectDecided('03-templates', ['Matching: deliberately_wrong: matches'], [23, 1, 0]);
      await expectDecided('04-includes', [], [8, 0, 1]);
      await expectDecided(
        '02-matchers',
        [
          'Command: echo wrong: stdout',
          'Matching: array_subset_failing: matches',
          'Matching: gjson_missing_path: matches',
          'Matching: have_len_type_mismatch: matches',
          'Matching: not_failing: matches',
          'Matching: reader_patterns_failing: matches',
        ],
        [26, 6, 1],
      );
      await expectDecided('05-image-style', ['Command: a deliberately wrong count: stdout'], [23, 1, 0]);
      expect(await readFile(join(out(), 'check-report-04-includes.tap'), 'utf8')).toMatch(/^1\.\.8\n/);
    });

    it('passes the goss environment through (--vars, -e NAME=VALUE) and uploads the files a spec includes (06)', async () => {
      await expectDecided('06-systemd-image', ['File: /etc/kola-strict-profile-marker: exists'], [21, 1, 0]);
    });

    it("decides goss's own suite style on the image (--vars, --vars-inline, typed fields) (07)", async () => {
      // As on this machine, but for `/`'s usage (gt 0 and lt 100 here): on the image it is outside
      // that range (seen once; likely 0, its ROOT partition holding little besides /etc and /var).
      await expectDecided(
        '07-suite-style',
        ['Command: none-big-enough: stdout', 'Matching: wrong_on_purpose: matches', 'Mount: /: usage'],
        [36, 3, 3],
      );
    });
  });

  it('refuses an invalid spec with file:line:column before booting (exit 2)', async () => {
    const r = await kola(['check', '--image', 'systemd', 'typo.yaml'], { cwd, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(cwd, 'typo.yaml')}:2:`);
    expect(r.stderr).toContain("unknown key 'mdoe', did you mean 'mode'?");
    expect(r.stderr).not.toContain('is up after');
  });

  it('refuses bad -e and --vars before booting (exit 2)', async () => {
    const env = await kola(['check', '--image', 'systemd', 'spec.yaml', '-e', 'NO-EQUALS'], {
      cwd,
      timeoutMs: 60_000,
    });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('-e NO-EQUALS: expected NAME=VALUE');
    const vars = await kola(['check', '--image', 'systemd', 'spec.yaml', '--vars', 'absent.yaml'], {
      cwd,
      timeoutMs: 60_000,
    });
    expect(vars.code).toBe(2);
    expect(vars.stderr).toContain('--vars absent.yaml: no such file');
    expect(vars.stderr).not.toContain('is up after');
  });

  it('a missing kolet executable is exit 3 with how to build it, before booting', async () => {
    const env = { ...process.env, KOLET_EXECUTABLE: join(cwd, 'no-such-kolet') };
    const check = await kola(['check', '--image', 'systemd', 'spec.yaml'], { cwd, env, timeoutMs: 60_000 });
    expect(check.code).toBe(3);
    expect(check.stderr).toContain('kolet executable missing');
    expect(check.stderr).toContain('pnpm --filter @mantle/kola build');
    expect(check.stderr).not.toContain('is up after');
  });
});
