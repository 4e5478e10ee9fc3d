// Integration tests of the BUILT kolet single executable (packages/kolet/dist/kolet), run with
// an empty environment (`env -i`: no PATH, so no node to fall back on) and, as root, inside a
// chroot holding nothing but the executable and the shared libraries it links.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, chmod, link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runProgram } from '@mantle/core/exec';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const kolet = join(pkgDir, 'dist', 'kolet');
let dir: string;
let tcp: Server;
let tcpPort: number;
let http: HttpServer;
let httpPort: number;
let sleeper: ChildProcess;
const sleeperName = `kt-sea-${process.pid % 100000}`;

/**
 * Run the executable with an empty environment (plus `env` entries), in `cwd`. Asynchronous:
 * the HTTP server the checks talk to lives in this process and must keep answering.
 */
function run(
  args: string[],
  opts: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const envArgs = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const child = spawn('/usr/bin/env', ['-i', ...envArgs, kolet, ...args], {
    cwd: opts.cwd ?? dir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(opts.input ?? '');
  return new Promise((resolveRun) => child.on('close', (code) => resolveRun({ code, stdout, stderr })));
}

beforeAll(async () => {
  // Build (or re-link the cached build of) the executable from the current sources: cheap when
  // nothing changed, so the test never runs a stale binary.
  // not spawnSync: a build that long would freeze the worker (vitest's RPC then times out)
  const b = await runProgram(process.execPath, [join(pkgDir, 'scripts/build-sea.mjs')], {
    timeoutMs: 280_000,
    reject: false,
  });
  if (b.exitCode !== 0) throw new Error(`build-sea failed: ${b.stderr}`);
  dir = await mkdtemp(join(tmpdir(), 'kolet-sea-'));
  tcp = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => tcp.once('listening', r));
  tcpPort = (tcp.address() as AddressInfo).port;
  http = createHttpServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('kolet says ok\n'),
  ).listen(0, '127.0.0.1');
  await new Promise((r) => http.once('listening', r));
  httpPort = (http.address() as AddressInfo).port;
  await copyFile('/bin/sleep', join(dir, sleeperName));
  await chmod(join(dir, sleeperName), 0o755);
  sleeper = spawn(join(dir, sleeperName), ['120'], { stdio: 'ignore' });
  await new Promise((r) => sleeper.once('spawn', r));
  await writeFile(join(dir, 'motd'), 'welcome to the kolet test\n', { mode: 0o644 });
  await chmod(join(dir, 'motd'), 0o644);
}, 300_000);

afterAll(async () => {
  sleeper?.kill('SIGKILL');
  tcp?.close();
  http?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the kolet executable', () => {
  it('is one executable file with its gzip, checksum and manifest', () => {
    const manifest = JSON.parse(readFileSync(`${kolet}.json`, 'utf8')) as {
      sha256: string;
      buildId: string;
      bundledTests: string[];
    };
    expect(readFileSync(`${kolet}.sha256`, 'utf8')).toBe(`${manifest.sha256}  kolet\n`);
    const sum = spawnSync('sha256sum', [kolet], { encoding: 'utf8' }).stdout.split(' ')[0];
    expect(sum).toBe(manifest.sha256);
    const unzipped = spawnSync('sh', ['-c', `gzip -dc < "${kolet}.gz" | sha256sum`], {
      encoding: 'utf8',
    }).stdout.split(' ')[0];
    expect(unzipped).toBe(manifest.sha256);
    expect(manifest.bundledTests).toContain('kolet.self');
  });

  it('kolet version runs without node on PATH', async () => {
    const manifest = JSON.parse(readFileSync(`${kolet}.json`, 'utf8')) as {
      version: string;
      buildId: string;
    };
    const r = await run(['version']);
    expect(r).toEqual({
      code: 0,
      stdout: `kolet ${manifest.version} build ${manifest.buildId}\n`,
      stderr: '',
    });
    expect(JSON.parse((await run(['version', '--json'])).stdout)).toMatchObject({
      sea: true,
      buildId: manifest.buildId,
    });
  });

  it('runs in a chroot that holds only the executable and the libraries ldd lists (no Node.js, no /proc)', async (t) => {
    if (process.getuid?.() !== 0 || !existsSync('/usr/sbin/chroot')) t.skip();
    const root = await mkdtemp(join(dirname(kolet), '..', 'node_modules', '.cache', 'kolet-chroot-'));
    try {
      await mkdir(join(root, 'bin'), { recursive: true });
      await link(kolet, join(root, 'bin/kolet')).catch(() => copyFile(kolet, join(root, 'bin/kolet')));
      const libs = spawnSync('ldd', [kolet], { encoding: 'utf8' }).stdout.match(/\/\S+/g) ?? [];
      for (const lib of libs) {
        await mkdir(join(root, dirname(lib)), { recursive: true });
        await copyFile(lib, join(root, lib));
      }
      const r = spawnSync(
        '/usr/bin/env',
        ['-i', '/usr/sbin/chroot', root, '/bin/kolet', 'run', 'kolet.self', 'pass'],
        { encoding: 'utf8' },
      );
      expect({ code: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code: 0,
        stdout: 'kolet.self pass\n',
        stderr: '',
      });
      // What the target image must provide: glibc (libc, libm, libdl, libpthread), libstdc++ and libgcc_s.
      expect(libs.map((l) => l.split('/').pop()).sort()).toEqual(
        [
          'ld-linux-x86-64.so.2',
          'libc.so.6',
          'libdl.so.2',
          'libgcc_s.so.1',
          'libm.so.6',
          'libpthread.so.0',
          'libstdc++.so.6',
        ].sort(),
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('kolet check passes a spec with 12 kinds of checks', async () => {
    const spec = [
      'user:',
      '  root: {exists: true, uid: 0, home: /root}',
      'group:',
      '  root: {exists: true, gid: 0}',
      'file:',
      `  ${dir}/motd: {exists: true, mode: "0644", owner: root, filetype: file, contents: [welcome, "/kolet test$/"]}`,
      'process:',
      `  ${sleeperName}: {running: true}`,
      'port:',
      `  tcp:${tcpPort}: {listening: true, ip: [127.0.0.1]}`,
      'kernel-param:',
      '  kernel.ostype: {value: Linux}',
      'mount:',
      '  /proc: {exists: true, filesystem: proc}',
      'command:',
      '  echo hello; exit 4: {exit-status: 4, stdout: [hello], stderr: ["!error"]}',
      'dns:',
      '  localhost: {resolvable: true, addrs: [127.0.0.1]}',
      'http:',
      `  http://127.0.0.1:${httpPort}/: {status: 200, body: [says ok], headers: ["Content-Type: text/plain"]}`,
      'addr:',
      `  tcp://127.0.0.1:${tcpPort}: {reachable: true}`,
      'package:',
      '  dpkg: {installed: true}',
    ].join('\n');
    const file = join(dir, 'pass.yaml');
    spawnSync('sh', ['-c', `cat > "${file}"`], { input: spec });
    const r = await run(['check', 'pass.yaml']);
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\nTotal Duration: \d+\.\d{3}s\nCount: 26, Failed: 0, Skipped: 0\n$/);
    const kinds = new Set(
      r.stdout
        .split('\n')
        .filter((l) => l.includes(': matches expectation'))
        .map((l) => l.split(':')[0]),
    );
    expect([...kinds].sort()).toEqual([
      'Addr',
      'Command',
      'DNS',
      'File',
      'Group',
      'HTTP',
      'KernelParam',
      'Mount',
      'Package',
      'Port',
      'Process',
      'User',
    ]);
    // The same spec from stdin, as JSON (what kola reads).
    const json = await run(['check', '-', '--format', 'json'], { input: spec });
    expect(JSON.parse(json.stdout)).toMatchObject({ summary: { 'test-count': 26, 'failed-count': 0 } });
  });

  it('kolet check exits 1 listing the failing checks (tap), the attributes after a failed exists skipped', async () => {
    const spec = [
      'file:',
      `  ${dir}/motd: {exists: true, mode: "0600", contents: [goodbye]}`,
      '  /kolet/does/not/exist: {exists: true, mode: "0644"}',
      'service:',
      '  kolet-no-such.service: {running: true}',
      'port:',
      '  tcp:1: {listening: true}',
    ].join('\n');
    const r = await run(['check', '-', '--format', 'tap'], { input: spec });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout.split('\n').map((l) => l.split(': ').slice(0, 3).join(': '))).toEqual([
      '1..7',
      `ok 1 - File: ${dir}/motd: exists`,
      `not ok 2 - File: ${dir}/motd: mode`,
      `not ok 3 - File: ${dir}/motd: contents`,
      'not ok 4 - File: /kolet/does/not/exist: exists',
      'ok 5 - # SKIP File: /kolet/does/not/exist: mode',
      'not ok 6 - Service: kolet-no-such.service: running',
      'not ok 7 - Port: tcp:1: listening',
      '',
    ]);
  });

  it('kolet check ignores an unknown top-level key with a warning (as goss does); an unknown attribute is exit 2', async () => {
    const warn = await run(['check', '-'], {
      input: 'file:\n  /etc/passwd:\n    exists: true\nservices:\n  sshd: {running: true}\n',
    });
    expect(warn.code).toBe(0);
    expect(warn.stderr).toContain(
      "warn: -:4:1: unknown top-level key 'services' is ignored, as goss ignores it, did you mean 'service'?",
    );
    const r = await run(['check', '-'], { input: 'file:\n  /etc/passwd:\n    exist: true\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "error: invalid check spec -:3:5: file '/etc/passwd': unknown key 'exist', did you mean 'exists'?",
    );
  });

  it('kolet check with interface checks, gossfile includes and templates (--vars, --vars-inline, .Env) under env -i', async () => {
    await mkdir(join(dir, 'feat/parts'), { recursive: true });
    await writeFile(
      join(dir, 'feat/main.yaml'),
      [
        'gossfile:',
        '  "parts/*.yaml": {}',
        '  parts/off.yaml: {skip: true}',
        'interface:',
        '  {{ .Vars.iface }}: {exists: true, mtu: {{ .Vars.mtu }}, addrs: [127.0.0.1/8]}',
        '  kt-nope0: {exists: false}',
        'file:',
        '  {{ .Env.KT_MOTD }}: {exists: true, contents: [{{ .Vars.greeting }}]}',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'feat/parts/10-users.yaml'),
      'user:\n{{- range .Vars.users }}\n  {{ . }}: {exists: true}\n{{- end }}\n',
    );
    await writeFile(
      join(dir, 'feat/parts/20-cmd.yaml'),
      [
        'command:',
        '{{- if eq .Env.KT_MODE "strict" }}',
        `  echo '{{"{{"}}strict{{"}}"}}': {exit-status: 0, stdout: ["{{"{{"}}strict{{"}}"}}"]}`,
        '{{- else }}',
        '  "true": {exit-status: 0}',
        '{{- end }}',
      ].join('\n'),
    );
    await writeFile(join(dir, 'feat/vars.yaml'), 'iface: lo\nmtu: 1500\ngreeting: welcome\nusers: [root]\n');
    const args = ['check', '--vars', 'feat/vars.yaml', '--vars-inline', '{"mtu": 65536}', 'feat/main.yaml'];
    const env = { KT_MOTD: join(dir, 'motd'), KT_MODE: 'strict' };
    const r = await run(args, { env });
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout.split('\n\n')[0]?.split('\n')).toEqual([
      'Interface: lo: exists: matches expectation: true',
      'Interface: lo: addrs: matches expectation: ["127.0.0.1/8"]',
      'Interface: lo: mtu: matches expectation: 65536',
      'Interface: kt-nope0: exists: matches expectation: false',
      `File: ${dir}/motd: exists: matches expectation: true`,
      `File: ${dir}/motd: contents: matches expectation: ["welcome"]`,
      'User: root: exists: matches expectation: true',
      "Command: echo '{{strict}}': exit-status: matches expectation: 0",
      'Command: echo \'{{strict}}\': stdout: matches expectation: ["{{strict}}"]',
    ]);
    expect(r.stdout).toMatch(/\nCount: 9, Failed: 0, Skipped: 0\n/);
    // KT_MODE unset: goss renders with missingkey=error, so .Env.KT_MODE is an error (getEnv has a default)
    const noMode = await run(args, { env: { KT_MOTD: join(dir, 'motd') } });
    expect(noMode.code).toBe(2);
    expect(noMode.stderr).toContain(
      'feat/parts/20-cmd.yaml:2:11: template: executing at <.Env.KT_MODE>: map has no entry for key "KT_MODE"',
    );
    const json = await run([...args, '--format', 'json'], {
      env: { KT_MOTD: join(dir, 'motd'), KT_MODE: 'lax' },
    });
    const report = JSON.parse(json.stdout) as { results: unknown[]; summary: unknown };
    expect(report.summary).toMatchObject({ 'test-count': 8, 'failed-count': 0 });
    expect(report.results[0]).toMatchObject({
      'resource-type': 'Interface',
      'resource-id': 'lo',
      property: 'exists',
      result: 0,
      successful: true,
    });
    const tap = await run([...args.slice(0, 3), 'feat/main.yaml', '--format', 'tap'], { env });
    expect(tap.code).toBe(1);
    expect(tap.stdout).toContain('not ok 3 - Interface: lo: mtu: Expected 65536 to be numerically eq 1500\n');
  });

  it('kolet check exits 2 naming file:line:col for an unknown template function, an include cycle, a missing include', async () => {
    await mkdir(join(dir, 'bad'), { recursive: true });
    await writeFile(
      join(dir, 'bad/tpl.yaml'),
      'user:\n  root: {exists: true}\n  {{ .Vars.u | nosuch }}: {exists: true}\n',
    );
    await writeFile(join(dir, 'bad/a.yaml'), 'user:\n  root: {exists: true}\ngossfile:\n  b.yaml: {}\n');
    await writeFile(join(dir, 'bad/b.yaml'), 'gossfile:\n  a.yaml: {}\n');
    await writeFile(join(dir, 'bad/m.yaml'), 'gossfile:\n  sub/missing.yaml: {}\n');
    const tpl = await run(['check', '--vars-inline', 'u: x', 'bad/tpl.yaml']);
    expect(tpl.code).toBe(2);
    expect(tpl.stderr).toContain(
      'error: invalid check spec bad/tpl.yaml:3:16: template: function "nosuch" not defined',
    );
    const cyc = await run(['check', 'bad/a.yaml']);
    expect(cyc.code).toBe(2);
    expect(cyc.stderr).toContain(
      "error: invalid check spec bad/b.yaml:2:3: gossfile 'a.yaml': include cycle: bad/a.yaml:4:3 → bad/b.yaml:2:3 → bad/a.yaml\n",
    );
    const missing = await run(['check', 'bad/m.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "error: invalid check spec bad/m.yaml:2:3: gossfile 'sub/missing.yaml': no such file bad/sub/missing.yaml\n",
    );
    expect(missing.stdout).toBe('');
  });

  it('kolet check reads the mtu and addresses of an interface that is down, inside a network namespace (root)', (t) => {
    if (process.getuid?.() !== 0 || !existsSync('/usr/sbin/ip')) t.skip();
    const ns = `kolet-t${process.pid}`;
    const ip = (...a: string[]) => {
      const r = spawnSync('ip', a, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${a.join(' ')}: ${r.stderr}`);
    };
    ip('netns', 'add', ns);
    try {
      ip('-n', ns, 'link', 'add', 'kta', 'type', 'veth', 'peer', 'name', 'ktb');
      ip('-n', ns, 'addr', 'add', '192.0.2.5/24', 'dev', 'kta');
      ip('-n', ns, 'addr', 'add', '2001:db8::5/64', 'dev', 'kta');
      ip('-n', ns, 'link', 'set', 'kta', 'mtu', '1400');
      const spec = [
        'interface:',
        '  kta: {exists: true, mtu: 1400, addrs: [192.0.2.5/24, "2001:db8::5/64"]}',
        '  ktb: {exists: true, mtu: 1500, addrs: [192.0.2.6/24]}',
        '  eth0: {exists: false}',
      ].join('\n');
      const r = spawnSync(
        'ip',
        ['netns', 'exec', ns, '/usr/bin/env', '-i', kolet, 'check', '-', '--format', 'tap'],
        {
          input: spec,
          encoding: 'utf8',
        },
      );
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n').slice(0, 8)).toEqual([
        '1..7',
        'ok 1 - Interface: kta: exists: matches expectation: true',
        'ok 2 - Interface: kta: addrs: matches expectation: ["192.0.2.5/24","2001:db8::5/64"]',
        'ok 3 - Interface: kta: mtu: matches expectation: 1400',
        'ok 4 - Interface: ktb: exists: matches expectation: true',
        'not ok 5 - Interface: ktb: addrs: Expected null to contain elements matching ["192.0.2.6/24"] the missing elements were ["192.0.2.6/24"]',
        'ok 6 - Interface: ktb: mtu: matches expectation: 1500',
        'ok 7 - Interface: eth0: exists: matches expectation: false',
      ]);
      expect(r.status).toBe(1);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });

  it('kolet run: a bundled function, exit codes, unknown names', async () => {
    expect(await run(['run', 'kolet.self', 'pass'])).toEqual({
      code: 0,
      stdout: 'kolet.self pass\n',
      stderr: '',
    });
    expect(await run(['run', 'kolet.self', 'fail'])).toMatchObject({
      code: 1,
      stderr: 'FAIL: kolet.self/fail: kolet.self fail: failing on purpose\n',
    });
    expect((await run(['run', 'kolet.self', 'skip'])).code).toBe(77);
    expect(await run(['run', 'kolet.self', 'reboot-once'])).toMatchObject({
      code: 78,
      stdout: 'KOLET_REBOOT_REQUEST kolet-self-rebooted\n',
    });
    const after = await run(['run', 'kolet.self', 'reboot-once'], {
      env: { KOLA_REBOOT_MARK: 'kolet-self-rebooted' },
    });
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^rebooted: mark=kolet-self-rebooted boot_id=/);
    const missing = await run(['run', 'kolet.self', 'no-such-func']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'error: test kolet.self has no native function "no-such-func"; known: kolet.self: boot-id, fail, pass, reboot-once, skip',
    );
    expect((await run(['run', 'no.such.test', 'f'])).code).toBe(2);
  });

  it('kolet run --module loads functions from a file on the machine, including kolet reboot-request from a child', async () => {
    await writeFile(
      join(dir, 'ext.mjs'),
      [
        "import { spawnSync } from 'node:child_process';",
        "export const ext = { name: 'ext.test', nativeFuncs: {",
        "  hello: (ctx) => 'hello from ' + ctx.test + '/' + ctx.func,",
        "  boom: () => { throw new Error('kaboom'); },",
        // leftovers that would keep a Node process alive forever
        "  leaky: () => { setInterval(() => {}, 1000); return 'leaked a timer'; },",
        '  stuck: () => new Promise(() => { setInterval(() => {}, 1000); }),',
        // a child process (here kolet itself) asks for the reboot, as a shell script would
        "  viaChild: () => { if (process.env.KOLA_REBOOT_MARK) return 'back: ' + process.env.AUTOPKGTEST_REBOOT_MARK;",
        "    const r = spawnSync(process.execPath, ['reboot-request', 'child-mark'], { encoding: 'utf8' }); if (r.status !== 0) throw new Error(r.stderr); return 'asked'; },",
        '} };',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'more.cjs'),
      "module.exports.register = (r) => r.registerNative('ext.cjs', 'c', () => 'from cjs');\n",
    );
    expect(await run(['run', '--module', 'ext.mjs', 'ext.test', 'hello'])).toEqual({
      code: 0,
      stdout: 'hello from ext.test/hello\n',
      stderr: '',
    });
    expect(await run(['run', '-m', 'ext.mjs', '-m', 'more.cjs', 'ext.cjs', 'c'])).toEqual({
      code: 0,
      stdout: 'from cjs\n',
      stderr: '',
    });
    expect(await run(['run', '--module', 'ext.mjs', 'ext.test', 'boom'])).toMatchObject({
      code: 1,
      stderr: 'FAIL: ext.test/boom: kaboom\n',
    });
    const t0 = Date.now();
    expect(await run(['run', '--module', 'ext.mjs', 'ext.test', 'leaky'])).toMatchObject({
      code: 0,
      stdout: 'leaked a timer\n',
    });
    expect(
      await run(['run', '--module', 'ext.mjs', '--timeout', '300ms', 'ext.test', 'stuck']),
    ).toMatchObject({ code: 1, stderr: 'FAIL: ext.test/stuck: timed out after 0.3s\n' });
    // a leaked timer would hang until the test's own timeout; two starts of the executable take
    // seconds on a loaded runner
    expect(Date.now() - t0).toBeLessThan(60_000);
    const req = await run(['run', '--module', 'ext.mjs', 'ext.test', 'viaChild']);
    expect(req).toMatchObject({ code: 78, stdout: 'asked\nKOLET_REBOOT_REQUEST child-mark\n' });
    expect(
      (await run(['run', '--module', 'ext.mjs', '--reboot-mark', 'child-mark', 'ext.test', 'viaChild']))
        .stdout,
    ).toBe('back: child-mark\n');
    const nope = await run(['run', '--module', 'ext.mjs', 'ext.test', 'nope']);
    expect(nope.code).toBe(2);
    expect(nope.stderr).toContain('known: ext.test: boom, hello, leaky, stuck, viaChild; kolet.self:');
    expect((await run(['run', '--module', 'absent.mjs', 'ext.test', 'hello'])).code).toBe(2);
  });

  it('the tsup build (dist/index.js for kola, dist/cli.js for node) loads and finds the executable', async () => {
    const index = join(pkgDir, 'dist', 'index.js');
    expect(existsSync(index), 'dist/index.js is missing: pnpm --filter @mantle/kolet build').toBe(true);
    const lib = (await import(index)) as {
      koletArtifacts: () => { versionLine: string; executable: string };
    };
    const a = lib.koletArtifacts();
    expect(a.executable).toBe(kolet);
    expect((await run(['version'])).stdout).toBe(`${a.versionLine}\n`);
    const cli = spawnSync(process.execPath, [join(pkgDir, 'dist', 'cli.js'), 'run', 'kolet.self', 'pass'], {
      encoding: 'utf8',
    });
    expect({ code: cli.status, stdout: cli.stdout }).toEqual({ code: 0, stdout: 'kolet.self pass\n' });
  });

  it('bundles the native functions of test modules given to the build (as kola’s built-in tests are)', () => {
    const out = join(dir, 'variant');
    const b = spawnSync(
      process.execPath,
      [
        join(pkgDir, 'scripts/build-sea.mjs'),
        '--tests',
        join(pkgDir, 'test/fixtures/native-tests.ts'),
        '--out',
        out,
        '--script-only',
      ],
      { encoding: 'utf8' },
    );
    expect(b.status, b.stderr).toBe(0);
    const r = spawnSync(process.execPath, [join(out, 'kolet.cjs'), 'run', 'fixture.bundled', 'hello'], {
      encoding: 'utf8',
    });
    expect({ code: r.status, stdout: r.stdout }).toEqual({
      code: 0,
      stdout: 'hello from a bundled test module\n',
    });
    const list = spawnSync(process.execPath, [join(out, 'kolet.cjs'), 'list'], { encoding: 'utf8' });
    expect(list.stdout).toBe(
      'fixture.bundled: hello, mark\nkolet.self: boot-id, fail, pass, reboot-once, skip\n',
    );
  });
});
