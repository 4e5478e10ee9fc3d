import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '@mantle/core/cli';
import { createKoletCli } from './cli-spec.js';
import { NativeRegistry } from './native/registry.js';
import { registerSelfTest } from './native/self-test.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kolet-cli-'));
  await writeFile(
    join(dir, 'ok.yaml'),
    'file:\n  /etc/passwd: {exists: true}\nkernel-param:\n  kernel.ostype: {value: Linux}\n',
  );
  await writeFile(join(dir, 'bad.yaml'), 'file:\n  /etc/passwd: {exists: true}\n  /nope: {exists: true}\n');
  await writeFile(join(dir, 'typo.yaml'), 'file:\n  /etc/passwd:\n    exist: true\n');
  await mkdir(join(dir, 'parts'));
  await writeFile(
    join(dir, 'tpl.yaml'),
    [
      'gossfile:',
      '  "parts/*.yaml": {}',
      'interface:',
      '  {{ .Vars.iface }}: {exists: true, mtu: {{ .Vars.mtu }}, addrs: [{{ .Vars.addr }}]}',
      '{{- if hasKey .Vars "strict" }}', // a missing key is an error in goss: ask with hasKey
      '  kt-none0: {exists: false}',
      '{{- end }}',
      'file:',
      '  {{ .Env.KOLET_T_DIR }}/ok.yaml: {exists: true}',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'parts/users.yaml'),
    'user:\n{{- range .Vars.users }}\n  {{ . }}: {exists: true}\n{{- end }}\n',
  );
  await writeFile(join(dir, 'tvars.yaml'), 'iface: lo\nmtu: 1500\naddr: 127.0.0.1/8\nusers: [root]\n');
  await writeFile(
    join(dir, 'inc-missing.yaml'),
    'user:\n  root: {exists: true}\ngossfile:\n  parts/nope.yaml: {}\n',
  );
  await writeFile(join(dir, 'dup.yaml'), 'file:\n  /etc/passwd: {exists: true}\ngossfile:\n  ok.yaml: {}\n');
  await writeFile(
    join(dir, 'm.mjs'),
    "export const t = { name: 'ext.t', nativeFuncs: { hi: (ctx) => 'hi from ' + ctx.test } };\n",
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function kolet(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return koletWith({}, ...argv);
}

async function koletWith(
  extraEnv: Record<string, string>,
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const registry = new NativeRegistry();
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  out.on('data', (c: Buffer) => o.push(c));
  err.on('data', (c: Buffer) => e.push(c));
  const code = await runMain(
    createKoletCli(registry, (r) => Promise.resolve(registerSelfTest(r))),
    {
      argv,
      stdout: out,
      stderr: err,
      cwd: dir,
      env: { PATH: process.env.PATH, KOLET_T_DIR: dir, ...extraEnv },
      handleSignals: false,
    },
  );
  return { code, stdout: Buffer.concat(o).toString(), stderr: Buffer.concat(e).toString() };
}

describe('kolet CLI (in process)', () => {
  it('check: exit 0 when all pass, 1 with the failure listed, 2 for an invalid spec', async () => {
    const ok = await kolet('check', 'ok.yaml');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^File: \/etc\/passwd: exists: matches expectation: true\n/);
    expect(ok.stdout).toMatch(/\nTotal Duration: \d+\.\d{3}s\nCount: 2, Failed: 0, Skipped: 0\n$/);
    const bad = await kolet('check', 'bad.yaml', '--format', 'tap');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('not ok 2 - File: /nope: exists: Expected false to equal true');
    // goss's own command names and defaults: validate (v), rspecish, ./goss.yaml or -g
    const v = await kolet('v', '-g', 'bad.yaml', '-f', 'rspecish');
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(
      /^\.F\n\nFailures\/Skipped:\n\nFile: \/nope: exists:\nExpected\n {4}false\nto equal\n {4}true\n/,
    );
    const nagios = await kolet('validate', 'bad.yaml', '--format', 'nagios', '-o', 'perfdata');
    expect(nagios.code).toBe(2);
    expect(nagios.stdout).toMatch(
      /^GOSS CRITICAL - Count: 2, Failed: 1, Skipped: 0, Duration: \d+\.\d{3}s\|total=2 failed=1 skipped=0 duration=/,
    );
    const typo = await kolet('check', 'typo.yaml');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      "typo.yaml:3:5: file '/etc/passwd': unknown key 'exist', did you mean 'exists'?",
    );
  });

  it('check --json prints the JSON report', async () => {
    const r = await kolet('check', 'ok.yaml', '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({ summary: { 'test-count': 2, 'failed-count': 0 } });
  });

  it('check rejects bad flags', async () => {
    expect((await kolet('check', 'ok.yaml', '--timeout', 'soon')).stderr).toContain(
      '--timeout soon: not a duration',
    );
    expect((await kolet('check', 'ok.yaml', '--retry-timeout', '1h30x')).stderr).toContain(
      '--retry-timeout 1h30x: not a duration',
    );
    expect((await kolet('run', 'kolet.self', 'pass', '--timeout', '0')).stderr).toContain(
      '--timeout 0: not a duration',
    );
    expect((await kolet('check', 'ok.yaml', '--format', 'xml')).code).toBe(2);
    expect((await kolet('check', 'ok.yaml', '-o', 'shiny')).stderr).toContain(
      '--format-options shiny: expected one of exclude_raw, perfdata, pretty, sort, verbose',
    );
    expect((await kolet('check', 'missing.yaml')).stderr).toContain(
      'SPEC missing.yaml: no such file or directory',
    );
  });

  it('check --vars --vars-inline renders the spec and its gossfile includes; interface checks in every format', async () => {
    const args = [
      'check',
      '--vars',
      'tvars.yaml',
      '--vars-inline',
      '{"mtu": 65536, "strict": true}',
      'tpl.yaml',
    ];
    const tap = await kolet(...args, '--format', 'tap');
    expect(tap.stderr).toBe('');
    expect(tap.code, tap.stdout).toBe(0);
    expect(tap.stdout.split('\n').slice(0, 7)).toEqual([
      '1..6',
      'ok 1 - Interface: lo: exists: matches expectation: true',
      'ok 2 - Interface: lo: addrs: matches expectation: ["127.0.0.1/8"]',
      'ok 3 - Interface: lo: mtu: matches expectation: 65536',
      'ok 4 - Interface: kt-none0: exists: matches expectation: false',
      `ok 5 - File: ${dir}/ok.yaml: exists: matches expectation: true`,
      'ok 6 - User: root: exists: matches expectation: true',
    ]);
    const doc = await kolet(...args);
    expect(doc.stdout).toMatch(/^Interface: lo: exists: matches expectation: true\n/);
    expect(doc.stdout).toMatch(/\nCount: 6, Failed: 0, Skipped: 0\n/);
    const json = JSON.parse((await kolet(...args, '--json')).stdout) as {
      results: Record<string, unknown>[];
    };
    expect(json.results[2]).toMatchObject({
      'resource-type': 'Interface',
      'resource-id': 'lo',
      property: 'mtu',
      result: 0,
      successful: true,
      'matcher-result': { actual: 65536, expected: 65536, message: 'matches expectation' },
      'summary-line': 'Interface: lo: mtu: matches expectation: 65536',
    });
    // without the inline vars: mtu 1500 from the file fails, kt-none0 is not rendered
    const fail = await kolet('check', '--vars', 'tvars.yaml', 'tpl.yaml');
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain(
      'Failures/Skipped:\n\nInterface: lo: mtu:\nExpected\n    65536\nto be numerically eq\n    1500\n',
    );
    expect(fail.stdout).not.toContain('kt-none0');
    // GOSS_VARS / GOSS_VARS_INLINE / GOSS_FMT stand in for the flags, as for goss
    const env = await koletWith(
      { GOSS_VARS: 'tvars.yaml', GOSS_VARS_INLINE: '{"mtu": 65536}', GOSS_FMT: 'tap', GOSS_FILE: 'tpl.yaml' },
      'validate',
    );
    expect(env.code).toBe(0);
    expect(env.stdout).toMatch(/^1\.\.5\nok 1 - Interface: lo: exists/);
  });

  it('check: exit 2 for a template problem, a missing include or vars file; a redefined resource is a warning', async () => {
    const noVars = await kolet('check', 'tpl.yaml');
    expect(noVars.code).toBe(2);
    expect(noVars.stderr).toContain(
      'error: invalid check spec tpl.yaml:4:6: template: executing at <.Vars.iface>: map has no entry for key "iface" (give it with --vars FILE or --vars-inline, or test for it with index or hasKey)',
    );
    const inc = await kolet('check', 'inc-missing.yaml');
    expect(inc.code).toBe(2);
    expect(inc.stderr).toContain(
      "error: invalid check spec inc-missing.yaml:4:3: gossfile 'parts/nope.yaml': no such file parts/nope.yaml",
    );
    expect(inc.stdout).toBe('');
    const vars = await kolet('check', '--vars', 'absent.yaml', 'ok.yaml');
    expect(vars.code).toBe(2);
    expect(vars.stderr).toContain('--vars absent.yaml: no such file or directory');
    const badInline = await kolet('check', '--vars-inline', '[1, 2]', 'ok.yaml');
    expect(badInline.code).toBe(2);
    expect(badInline.stderr).toContain(
      'invalid vars --vars-inline:1:1: expected a mapping of variable names to values, got a list',
    );
    const twice = await kolet('check', '--vars-inline', 'a: 1', '--vars-inline', 'b: 2', 'ok.yaml');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('--vars-inline was given 2 times; give it once');
    const dup = await kolet('check', 'dup.yaml');
    expect(dup.code).toBe(0);
    expect(dup.stderr).toContain("File '/etc/passwd' of ok.yaml:2 replaces the one of dup.yaml:2");
    expect(dup.stdout).toMatch(/\nCount: 2, Failed: 0, /);
  });

  it('render: the spec and its includes merged into one, as goss render prints it', async () => {
    const r = await kolet('render', '--vars', 'tvars.yaml', 'tpl.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'file:',
        `    ${dir}/ok.yaml:`,
        '        exists: true',
        'user:',
        '    root:',
        '        exists: true',
        'interface:',
        '    lo:',
        '        exists: true',
        '        addrs:',
        '            - 127.0.0.1/8',
        '        mtu: 1500',
        '',
      ].join('\n'),
    );
    const debug = await kolet('render', '--debug', '--vars', 'tvars.yaml', 'tpl.yaml');
    expect(debug.stdout).toContain(
      'DEBUG: file after text/template render (parts/users.yaml)\nuser:\n  root: {exists: true}\n',
    );
    // the rendered spec runs as the original does
    await writeFile(join(dir, 'rendered.yaml'), r.stdout);
    expect((await kolet('check', 'rendered.yaml')).stdout).toMatch(/Count: 5, Failed: 1, Skipped: 0/);
  });

  it('run: exit codes 0 / 1 / 77 / 78 / 2 and --module', async () => {
    expect(await kolet('run', 'kolet.self', 'pass')).toMatchObject({ code: 0, stdout: 'kolet.self pass\n' });
    expect(await kolet('run', 'kolet.self', 'fail')).toMatchObject({
      code: 1,
      stderr: 'FAIL: kolet.self/fail: kolet.self fail: failing on purpose\n',
    });
    expect(await kolet('run', 'kolet.self', 'skip')).toMatchObject({
      code: 77,
      stderr: 'SKIP: kolet.self skip: skipping on purpose\n',
    });
    expect(await kolet('run', 'kolet.self', 'reboot-once')).toMatchObject({
      code: 78,
      stdout: 'KOLET_REBOOT_REQUEST kolet-self-rebooted\n',
    });
    expect(
      (await kolet('run', '--reboot-mark', 'kolet-self-rebooted', 'kolet.self', 'reboot-once')).code,
    ).toBe(0);
    const unknown = await kolet('run', 'kolet.self', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('known: kolet.self: boot-id, fail, pass, reboot-once, skip');
    expect(await kolet('run', '--module', 'm.mjs', 'ext.t', 'hi')).toMatchObject({
      code: 0,
      stdout: 'hi from ext.t\n',
    });
    expect((await kolet('run', '--module', 'absent.mjs', 'ext.t', 'hi')).code).toBe(2);
  });

  it('reboot-request outside kolet run is a usage error', async () => {
    const r = await kolet('reboot-request', 'm1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not running under `kolet run`');
  });

  it('list and version', async () => {
    expect((await kolet('list', '-m', 'm.mjs')).stdout).toBe(
      'ext.t: hi\nkolet.self: boot-id, fail, pass, reboot-once, skip\n',
    );
    expect((await kolet('version')).stdout).toMatch(/^kolet \d+\.\d+\.\d+\S* build dev\n$/);
    expect(JSON.parse((await kolet('version', '--json')).stdout)).toMatchObject({
      sea: false,
      buildId: 'dev',
      node: process.version,
    });
  });
});
