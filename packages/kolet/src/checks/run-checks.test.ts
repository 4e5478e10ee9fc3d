import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckSpec } from './parse-spec.js';
import { runChecks, type RunChecksOptions } from './run-checks.js';
import type { CheckReport } from './types.js';

let dir: string;
let tcp: Server;
let tcpPort: number;
let udp: UdpSocket;
let udpPort: number;
let http: HttpServer;
let httpPort: number;
let https: HttpsServer | undefined;
let httpsPort = 0;
let sleeper: ChildProcess;
const sleeperName = `kt-sl-${process.pid % 100000}`;

async function check(yaml: string, opts: RunChecksOptions = {}): Promise<CheckReport> {
  return runChecks(parseCheckSpec(yaml, { file: 'test.yaml' }), opts);
}

/** `Type:id:property=status` per result, the shape the assertions compare. */
function statuses(r: CheckReport): string[] {
  return r.results.map((x) => `${x.resourceType}:${x.resourceId}:${x.property}=${x.status}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kolet-checks-'));
  await writeFile(join(dir, 'conf'), 'listen 8080\nname=kolet\n');
  await chmod(join(dir, 'conf'), 0o640);
  await symlink('conf', join(dir, 'link'));
  await mkdir(join(dir, 'sub'), { mode: 0o1777 });
  await chmod(join(dir, 'sub'), 0o1777);
  await writeFile(
    join(dir, 'passwd'),
    'root:x:0:0:root:/root:/bin/bash\ncore:x:500:500:Core:/home/core:/bin/sh\n',
  );
  await writeFile(join(dir, 'group'), 'root:x:0:\ncore:x:500:\nwheel:x:10:core\n');

  tcp = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => tcp.once('listening', r));
  tcpPort = (tcp.address() as AddressInfo).port;
  udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  udpPort = udp.address().port;

  http = createHttpServer((req, res) => {
    if (req.url?.startsWith('/old')) {
      res.writeHead(302, { location: '/health' }).end();
      return;
    }
    res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain', 'x-kolet': 'yes' });
    res.end(req.url === '/health' ? 'status: ok\nversion 1.2\n' : 'not found');
  }).listen(0, '127.0.0.1');
  await new Promise((r) => http.once('listening', r));
  httpPort = (http.address() as AddressInfo).port;

  const cert = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  if (cert.status === 0) {
    https = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => res.end('secure'),
    ).listen(0, '127.0.0.1');
    await new Promise((r) => https!.once('listening', r));
    httpsPort = (https.address() as AddressInfo).port;
  }

  // A process with a name nothing else on the machine has: a copy of sleep.
  await copyFile('/bin/sleep', join(dir, sleeperName));
  await chmod(join(dir, sleeperName), 0o755);
  sleeper = spawn(join(dir, sleeperName), ['60'], { stdio: 'ignore' });
  await new Promise((r) => sleeper.once('spawn', r));
});

afterAll(async () => {
  sleeper?.kill('SIGKILL');
  tcp?.close();
  udp?.close();
  http?.close();
  https?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('runChecks on this machine', () => {
  it('checks users and groups from passwd/group files', async () => {
    const r = await check(
      [
        'user:',
        '  core: {exists: true, uid: 500, gid: 500, groups: [core, wheel], home: /home/core, shell: /bin/sh}',
        '  root: {shell: /bin/zsh}',
        '  ghost: {exists: false}',
        'group:',
        '  wheel: {exists: true, gid: 11}',
      ].join('\n'),
      { paths: { passwd: join(dir, 'passwd'), group: join(dir, 'group') }, env: { PATH: '/nonexistent' } },
    );
    expect(statuses(r)).toEqual([
      'User:core:exists=pass',
      'User:core:uid=pass',
      'User:core:gid=pass',
      'User:core:groups=pass',
      'User:core:home=pass',
      'User:core:shell=pass',
      'User:root:shell=fail',
      'User:ghost:exists=pass',
      'Group:wheel:exists=pass',
      'Group:wheel:gid=fail',
    ]);
    expect(r.results[6]?.message).toBe('doesn\'t match, expect: "/bin/zsh" found: "/bin/bash"');
    expect(r.summary).toMatchObject({ count: 10, failed: 2, skipped: 0 });
  });

  it('checks the real root user through /etc/passwd', async () => {
    const r = await check('user:\n  root: {exists: true, uid: 0, home: /root}\ngroup:\n  root: {gid: 0}\n');
    expect(r.summary.failed).toBe(0);
    expect(r.summary.count).toBe(4);
  });

  it('checks files: mode, owner, type, link, content, hash, size; skips the rest when exists fails', async () => {
    const conf = join(dir, 'conf');
    const sha = spawnSync('sha256sum', [conf], { encoding: 'utf8' }).stdout.split(' ')[0];
    const r = await check(
      [
        'file:',
        `  ${conf}:`,
        '    exists: true',
        '    mode: "0640"',
        '    owner: root',
        '    group: "0"',
        '    filetype: file',
        '    contains: [listen 8080, "/^name=\\\\w+$/", "!password"]',
        `    sha256: ${sha}`,
        '    size: 23',
        `  ${join(dir, 'link')}: {filetype: symlink, linked-to: conf, contains: [kolet]}`,
        `  ${join(dir, 'sub')}: {filetype: directory, mode: "1777"}`,
        `  ${join(dir, 'missing')}: {exists: true, mode: "0644", contains: [x]}`,
        `  ${join(dir, 'missing2')}: {mode: "0644"}`,
        `  ${conf}x: {exists: false}`,
        `  ${join(dir, 'sub')}/: {contains: [x]}`,
        `  ${dir}/./conf: {mode: "0600"}`,
      ].join('\n'),
    );
    expect(statuses(r).map((s) => s.replace(dir, 'D'))).toEqual([
      'File:D/conf:exists=pass',
      'File:D/conf:mode=pass',
      'File:D/conf:owner=pass',
      'File:D/conf:group=pass',
      'File:D/conf:filetype=pass',
      'File:D/conf:contains=pass',
      'File:D/conf:sha256=pass',
      'File:D/conf:size=pass',
      'File:D/link:filetype=pass',
      'File:D/link:linked-to=pass',
      'File:D/link:contains=pass',
      'File:D/sub:mode=pass',
      'File:D/sub:filetype=pass',
      'File:D/missing:exists=fail',
      'File:D/missing:mode=skip',
      'File:D/missing:contains=skip',
      'File:D/missing2:mode=fail',
      'File:D/confx:exists=pass',
      'File:D/sub/:contains=fail',
      'File:D/./conf:mode=fail',
    ]);
    const byProp = (id: string, p: string) => r.results.find((x) => x.resourceId === id && x.property === p);
    expect(byProp(join(dir, 'missing2'), 'mode')?.message).toBe(
      'doesn\'t match, expect: "0644" found: (file does not exist)',
    );
    expect(byProp(join(dir, 'sub') + '/', 'contains')?.message).toMatch(/is a directory, not a file/);
    expect(byProp(`${dir}/./conf`, 'mode')).toMatchObject({
      found: '0640',
      message: 'doesn\'t match, expect: "0600" found: "0640"',
    });
  });

  it('reports unmet content patterns', async () => {
    const r = await check(`file:\n  ${join(dir, 'conf')}: {contains: [listen, "!kolet", "/^port/"]}\n`);
    expect(r.results[0]).toMatchObject({
      status: 'fail',
      message: 'patterns not found: ["!kolet", "/^port/"]',
    });
  });

  it('finds a running process by name', async () => {
    const r = await check(
      `process:\n  ${sleeperName}: {running: true}\n  kolet-no-such-proc: {running: false}\n  kolet-no-such-2: {running: true}\n`,
    );
    expect(statuses(r)).toEqual([
      `Process:${sleeperName}:running=pass`,
      'Process:kolet-no-such-proc:running=pass',
      'Process:kolet-no-such-2:running=fail',
    ]);
  });

  it('finds listening tcp and udp ports with their addresses', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const closed = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const r = await check(
      [
        'port:',
        `  tcp:${tcpPort}: {listening: true, ip: [127.0.0.1]}`,
        `  udp:${udpPort}: {listening: true, ip: [127.0.0.1]}`,
        `  tcp:${closed}: {listening: false}`,
        `  tcp6:${tcpPort}: {listening: true}`,
        `  tcp:${udpPort}: {ip: [0.0.0.0]}`,
      ].join('\n'),
    );
    expect(statuses(r)).toEqual([
      `Port:tcp:${tcpPort}:listening=pass`,
      `Port:tcp:${tcpPort}:ip=pass`,
      `Port:udp:${udpPort}:listening=pass`,
      `Port:udp:${udpPort}:ip=pass`,
      `Port:tcp:${closed}:listening=pass`,
      `Port:tcp6:${tcpPort}:listening=fail`,
      `Port:tcp:${udpPort}:ip=fail`,
    ]);
  });

  it('reads kernel parameters, comparing whitespace runs as one space', async () => {
    const range = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/g, ' ');
    const r = await check(
      `kernel-param:\n  kernel.ostype: {value: Linux}\n  net.ipv4.ip_local_port_range: {value: "${range}"}\n  kernel.no_such_param: {value: 1}\n  kernel/ostype: {value: BSD}\n`,
    );
    expect(statuses(r)).toEqual([
      'KernelParam:kernel.ostype:value=pass',
      'KernelParam:net.ipv4.ip_local_port_range:value=pass',
      'KernelParam:kernel.no_such_param:value=fail',
      'KernelParam:kernel/ostype:value=fail',
    ]);
    expect(r.results[2]?.message).toBe('doesn\'t match, expect: "1" found: (no such kernel parameter)');
  });

  it('checks mounts from mountinfo', async () => {
    const r = await check(
      'mount:\n  /proc: {exists: true, filesystem: proc, opts: [rw], source: proc}\n  /kolet-not-mounted: {exists: false}\n  /proc/: {opts: [ro]}\n',
    );
    expect(statuses(r)).toEqual([
      'Mount:/proc:exists=pass',
      'Mount:/proc:opts=pass',
      'Mount:/proc:source=pass',
      'Mount:/proc:filesystem=pass',
      'Mount:/kolet-not-mounted:exists=pass',
      'Mount:/proc/:opts=fail',
    ]);
    expect(r.results[5]?.message).toMatch(/^doesn't match, missing: \["ro"\] found: \["rw"/);
  });

  it('runs commands with sh -c and checks exit status, stdout, stderr', async () => {
    const r = await check(
      [
        'command:',
        '  "echo out; echo err >&2; exit 3":',
        '    exit-status: 3',
        '    stdout: [out, "/^out$/"]',
        '    stderr: ["!nothing", err]',
        '  named:',
        '    exec: printf "%s" "$HOME-ish"',
        '    exit-status: 0',
        '    stdout: [-ish]',
        '  false: {exit-status: 0}',
      ].join('\n'),
    );
    expect(statuses(r)).toEqual([
      'Command:echo out; echo err >&2; exit 3:exit-status=pass',
      'Command:echo out; echo err >&2; exit 3:stdout=pass',
      'Command:echo out; echo err >&2; exit 3:stderr=pass',
      'Command:named:exit-status=pass',
      'Command:named:stdout=pass',
      'Command:false:exit-status=fail',
    ]);
  });

  it('kills a command at its timeout, children included', async () => {
    const t0 = Date.now();
    const r = await check(
      'command:\n  "sleep 30 & sleep 30; echo never":\n    exit-status: 0\n    timeout: 300\n',
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.results[0]).toMatchObject({ status: 'fail', message: 'timed out after 0.3s' });
  });

  it('resolves names with the system resolver', async () => {
    const r = await check(
      'dns:\n  localhost: {resolvable: true, addrs: [127.0.0.1]}\n  kolet-no-such-host.invalid: {resolvable: false, timeout: 3s}\n',
    );
    expect(statuses(r)).toEqual([
      'DNS:localhost:resolvable=pass',
      'DNS:localhost:addrs=pass',
      'DNS:kolet-no-such-host.invalid:resolvable=pass',
    ]);
  });

  it('fetches URLs: status, body, headers, redirects', async () => {
    const base = `http://127.0.0.1:${httpPort}`;
    const r = await check(
      [
        'http:',
        `  ${base}/health: {status: 200, body: ["status: ok", "/version \\\\d+\\\\.\\\\d+/"], headers: ["X-Kolet: yes", "/^Content-Type: text\\\\/plain/i"]}`,
        `  ${base}/old: {status: 200, body: [ok]}`,
        `  ${base}/old?x: {status: 302, no-follow-redirects: true}`,
        `  ${base}/nope: {status: 200}`,
        `  http://127.0.0.1:1/: {status: 200, timeout: 2s}`,
      ].join('\n'),
    );
    expect(statuses(r).map((s) => s.replace(base, 'B'))).toEqual([
      'HTTP:B/health:status=pass',
      'HTTP:B/health:body=pass',
      'HTTP:B/health:headers=pass',
      'HTTP:B/old:status=pass',
      'HTTP:B/old:body=pass',
      'HTTP:B/old?x:status=pass',
      'HTTP:B/nope:status=fail',
      'HTTP:http://127.0.0.1:1/:status=fail',
    ]);
    expect(r.results[7]?.message).toMatch(/^error: connect ECONNREFUSED/);
  });

  it('fetches https with allow-insecure only', async (t) => {
    if (!https) t.skip(); // no openssl to make a certificate
    const url = `https://127.0.0.1:${httpsPort}/`;
    const r = await check(
      `http:\n  ${url}: {status: 200, body: [secure], allow-insecure: true}\n  ${url}?strict: {status: 200}\n`,
    );
    expect(statuses(r).map((s) => s.replace(url, 'U'))).toEqual([
      'HTTP:U:status=pass',
      'HTTP:U:body=pass',
      'HTTP:U?strict:status=fail',
    ]);
    expect(r.results[2]?.message).toMatch(/self[- ]signed/);
  });

  it('checks packages with dpkg-query, and skips without a package manager', async () => {
    const r = await check(
      'package:\n  dpkg: {installed: true}\n  kolet-no-such-package: {installed: false}\n',
    );
    expect(statuses(r)).toEqual([
      'Package:dpkg:installed=pass',
      'Package:kolet-no-such-package:installed=pass',
    ]);
    const none = await check('package:\n  dpkg: {installed: true}\n', { env: { PATH: '/nonexistent' } });
    expect(none.results[0]).toMatchObject({
      status: 'skip',
      message: 'skipped: no package manager (dpkg-query or rpm) on this machine',
    });
  });

  it('says services are unsupported without systemd, and reads systemctl where systemd runs', async () => {
    const none = await check('service:\n  sshd: {enabled: true, running: true}\n', {
      paths: { systemdRuntime: join(dir, 'no-systemd') },
    });
    expect(none.results.map((x) => [x.status, x.message])).toEqual([
      ['fail', `unsupported: this machine does not run systemd (${join(dir, 'no-systemd')} is missing)`],
      ['fail', `unsupported: this machine does not run systemd (${join(dir, 'no-systemd')} is missing)`],
    ]);
    // A stand-in systemctl (a real program on PATH): enabled for sshd only, active for nothing.
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(
      join(bin, 'systemctl'),
      '#!/bin/sh\ncase "$1 $3" in "is-enabled sshd") echo enabled; exit 0;; "is-enabled "*) echo disabled; exit 1;; *) echo inactive; exit 3;; esac\n',
      { mode: 0o755 },
    );
    const r = await check('service:\n  sshd: {enabled: true, running: false}\n  cron: {enabled: true}\n', {
      paths: { systemdRuntime: dir },
      env: { PATH: bin },
    });
    expect(statuses(r)).toEqual([
      'Service:sshd:enabled=pass',
      'Service:sshd:running=pass',
      'Service:cron:enabled=fail',
    ]);
    expect(r.results[2]?.message).toBe(
      "doesn't match, expect: true found: false (systemctl is-enabled: disabled)",
    );
  });

  it('checks whether addresses are reachable over tcp', async () => {
    const r = await check(
      `addr:\n  tcp://127.0.0.1:${tcpPort}: {reachable: true}\n  tcp://127.0.0.1:1: {reachable: true, timeout: 2s}\n`,
    );
    expect(statuses(r)).toEqual([
      `Addr:tcp://127.0.0.1:${tcpPort}:reachable=pass`,
      'Addr:tcp://127.0.0.1:1:reachable=fail',
    ]);
    expect(r.results[1]?.message).toMatch(/ECONNREFUSED/);
  });

  it('checks network interfaces: lo (exists, mtu 65536, 127.0.0.1/8) and one that does not exist', async () => {
    const r = await check(
      [
        'interface:',
        '  lo: {exists: true, mtu: 65536, addrs: [127.0.0.1/8]}',
        '  kt-nope0: {exists: false}',
        '  kt-nope1: {exists: true, mtu: 1500, addrs: [192.0.2.1/24]}',
        '  kt-nope2: {mtu: 1500}',
      ].join('\n'),
    );
    expect(statuses(r)).toEqual([
      'Interface:lo:exists=pass',
      'Interface:lo:addrs=pass',
      'Interface:lo:mtu=pass',
      'Interface:kt-nope0:exists=pass',
      'Interface:kt-nope1:exists=fail',
      'Interface:kt-nope1:addrs=skip',
      'Interface:kt-nope1:mtu=skip',
      'Interface:kt-nope2:mtu=fail',
    ]);
    expect(r.results[2]).toMatchObject({
      expected: 65536,
      found: 65536,
      message: 'matches expectation: 65536',
    });
    expect(r.results[7]?.message).toBe("doesn't match, expect: 1500 found: (interface does not exist)");

    const bad = await check('interface:\n  lo: {mtu: 1500, addrs: [127.0.0.1/8, 192.0.2.1/24]}\n');
    expect(statuses(bad)).toEqual(['Interface:lo:addrs=fail', 'Interface:lo:mtu=fail']);
    expect(bad.results[0]?.message).toMatch(
      /^doesn't match, missing: \["192\.0\.2\.1\/24"\] found: \["127\.0\.0\.1\/8"/,
    );
    expect(bad.results[1]?.message).toBe("doesn't match, expect: 1500 found: 65536");
  });

  it('reads existence and mtu from the sysfs directory it is given (a file there is no interface)', async () => {
    await mkdir(join(dir, 'net/kt9'), { recursive: true });
    await writeFile(join(dir, 'net/kt9/mtu'), '9000\n');
    await writeFile(join(dir, 'net/bonding_masters'), '\n');
    const r = await check(
      'interface:\n  kt9: {exists: true, mtu: 9000}\n  lo: {exists: false}\n  bonding_masters: {exists: false}\n',
      { paths: { sysClassNet: join(dir, 'net') } },
    );
    expect(statuses(r)).toEqual([
      'Interface:kt9:exists=pass',
      'Interface:kt9:mtu=pass',
      'Interface:lo:exists=pass',
      'Interface:bonding_masters:exists=pass',
    ]);
  });

  it('refuses a spec whose gossfile includes were not loaded (parseCheckSpec reads no files)', async () => {
    await expect(
      check('gossfile:\n  other.yaml: {}\n  old.yaml: {skip: true}\nuser:\n  root: {exists: true}\n'),
    ).rejects.toMatchObject({
      code: 'CHECK_SPEC_INCLUDES_NOT_LOADED',
      exitCode: 2,
      message: "check spec test.yaml includes 'other.yaml' (gossfile) but they were not loaded",
    });
    const r = await check('gossfile:\n  old.yaml: {skip: true}\nuser:\n  root: {exists: true}\n');
    expect(statuses(r)).toEqual(['User:root:exists=pass']);
  });

  it('skips resources marked skip: true', async () => {
    const r = await check('file:\n  /etc/passwd: {skip: true, exists: true, mode: "0644"}\n');
    expect(r.results.map((x) => [x.status, x.message])).toEqual([
      ['skip', 'skipped: skip: true in the spec'],
      ['skip', 'skipped: skip: true in the spec'],
    ]);
    expect(r.summary).toMatchObject({ count: 2, failed: 0, skipped: 2 });
  });

  it('fails what is still running at the run timeout', async () => {
    const t0 = Date.now();
    const r = await check(
      'command:\n  sleep 20: {exit-status: 0, timeout: 60s}\nfile:\n  /etc/passwd: {exists: true}\n',
      { timeoutMs: 300 },
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(statuses(r)).toEqual(['Command:sleep 20:exit-status=fail', 'File:/etc/passwd:exists=pass']);
    expect(r.results[0]?.message).toMatch(/timed out/);
  });

  it('retries a failing spec until it passes (retry-timeout)', async () => {
    const later = join(dir, 'appears-later');
    setTimeout(() => void writeFile(later, 'x'), 300);
    const retries: number[] = [];
    const r = await check(`file:\n  ${later}: {exists: true}\n`, {
      retryTimeoutMs: 5000,
      sleepMs: 100,
      onRetry: (n) => retries.push(n),
    });
    expect(r.summary.failed).toBe(0);
    expect(retries.length).toBeGreaterThan(0);
  });
});
