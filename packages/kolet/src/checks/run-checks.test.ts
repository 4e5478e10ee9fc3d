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
import { humanizeResult, NO_COLOR } from './format/humanize.js';
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

/** goss's one-line text of the i-th result. */
function line(r: CheckReport, i: number): string {
  const x = r.results[i];
  if (!x) throw new Error(`no result ${i}`);
  return humanizeResult(x, true, true, NO_COLOR);
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
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      if (req.url?.startsWith('/old')) {
        res.writeHead(302, { location: '/health' }).end();
        return;
      }
      if (req.url === '/post-redirect') {
        res.writeHead(303, { location: '/echo' }).end();
        return;
      }
      if (req.url === '/echo') {
        // What the request was: method, body, a header, the Host and basic auth.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(
          [
            `method=${req.method}`,
            `body=${Buffer.concat(chunks).toString()}`,
            `x-test=${String(req.headers['x-test'])}`,
            `host=${String(req.headers.host)}`,
            `auth=${String(req.headers.authorization)}`,
            `ua=${String(req.headers['user-agent'])}`,
          ].join('\n'),
        );
        return;
      }
      res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain', 'x-kolet': 'yes' });
      res.end(req.url === '/health' ? 'status: ok\nversion 1.2\n' : 'not found');
    });
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
      '-addext',
      'subjectAltName=IP:127.0.0.1',
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
  it('checks users and groups from passwd/group files; a missing required attribute fails and skips the rest, as in goss', async () => {
    const r = await check(
      [
        'user:',
        '  core: {exists: true, uid: 500, gid: 500, groups: [core, wheel], home: /home/core, shell: {have-suffix: sh}}',
        '  root: {shell: /bin/zsh}',
        '  ghost: {exists: false, uid: 1}',
        '  alias: {username: core, exists: true, groups: {consist-of: [wheel, core]}}',
        'group:',
        '  wheel: {exists: true, gid: 11}',
      ].join('\n'),
      { paths: { passwd: join(dir, 'passwd'), group: join(dir, 'group') }, env: { PATH: '/nonexistent' } },
    );
    expect(statuses(r)).toEqual([
      'User:core:exists=pass',
      'User:core:uid=pass',
      'User:core:gid=pass',
      'User:core:home=pass',
      'User:core:groups=pass',
      'User:core:shell=pass',
      'User:root:exists=fail',
      'User:root:shell=skip',
      'User:ghost:exists=pass',
      'User:ghost:uid=skip',
      'User:alias: core:exists=pass',
      'User:alias: core:groups=pass',
      'Group:wheel:exists=pass',
      'Group:wheel:gid=fail',
    ]);
    expect(line(r, 6)).toBe('User: root: exists: Error Syntax Error: Missing required attribute');
    expect(line(r, 13)).toBe('Group: wheel: gid: Expected 10 to be numerically eq 11');
    expect(r.summary).toMatchObject({ count: 14, failed: 2, skipped: 2 });
  });

  it('checks the real root user and group (/etc/passwd, getent)', async () => {
    const r = await check(
      'user:\n  root: {exists: true, uid: 0, home: /root, groups: [root]}\ngroup:\n  root: {exists: true, gid: 0}\n',
    );
    expect(r.summary).toMatchObject({ count: 6, failed: 0 });
  });

  it('checks files: mode, owner, uid, group, gid, type, link, contents, size, md5, sha256, sha512; skips the rest when exists fails', async () => {
    const conf = join(dir, 'conf');
    const hash = (algo: string) => spawnSync(`${algo}sum`, [conf], { encoding: 'utf8' }).stdout.split(' ')[0];
    const r = await check(
      [
        'file:',
        `  ${conf}:`,
        '    exists: true',
        '    mode: "0640"',
        '    owner: root',
        '    uid: 0',
        '    group: root',
        '    gid: 0',
        '    filetype: file',
        '    contents: [listen 8080, "/^name=\\\\w+$/", "!password"]',
        '    size: {lt: 100}',
        `    md5: ${hash('md5')}`,
        `    sha256: ${hash('sha256')}`,
        `    sha512: ${hash('sha512')}`,
        `  ${join(dir, 'link')}: {exists: true, filetype: symlink, linked-to: conf, contents: [kolet]}`,
        `  ${join(dir, 'sub')}: {exists: true, filetype: directory, mode: "1777"}`,
        `  ${join(dir, 'missing')}: {exists: true, mode: "0644", contents: [x]}`,
        `  ${join(dir, 'missing2')}: {mode: "0644"}`,
        `  ${conf}x: {exists: false}`,
        `  ${join(dir, 'sub')}/: {exists: true, contents: [x]}`,
        `  by-path: {path: ${conf}, exists: true, contents: "listen 8080\\nname=kolet\\n"}`,
      ].join('\n'),
    );
    expect(statuses(r).map((s) => s.replace(dir, 'D').replace(dir, 'D'))).toEqual([
      'File:D/conf:exists=pass',
      'File:D/conf:mode=pass',
      'File:D/conf:owner=pass',
      'File:D/conf:uid=pass',
      'File:D/conf:group=pass',
      'File:D/conf:gid=pass',
      'File:D/conf:filetype=pass',
      'File:D/conf:contents=pass',
      'File:D/conf:size=pass',
      'File:D/conf:md5=pass',
      'File:D/conf:sha256=pass',
      'File:D/conf:sha512=pass',
      'File:D/link:exists=pass',
      'File:D/link:linkedto=pass',
      'File:D/link:filetype=pass',
      'File:D/link:contents=pass',
      'File:D/sub:exists=pass',
      'File:D/sub:mode=pass',
      'File:D/sub:filetype=pass',
      'File:D/missing:exists=fail',
      'File:D/missing:mode=skip',
      'File:D/missing:contents=skip',
      'File:D/missing2:exists=fail',
      'File:D/missing2:mode=skip',
      'File:D/confx:exists=pass',
      'File:D/sub/:exists=pass',
      'File:D/sub/:contents=fail',
      'File:by-path: D/conf:exists=pass',
      'File:by-path: D/conf:contents=pass',
    ]);
    expect(line(r, 19)).toBe('File: ' + join(dir, 'missing') + ': exists: Expected false to equal true');
    expect(line(r, 26)).toBe(
      `File: ${join(dir, 'sub')}/: contents: Error read ${join(dir, 'sub')}/: is a directory`,
    );
  });

  it('reports unmet content patterns with the missing ones', async () => {
    const r = await check(
      `file:\n  ${join(dir, 'conf')}: {exists: true, contents: [listen, "!kolet", "/^port/"]}\n`,
    );
    expect(r.results[1]?.status).toBe('fail');
    expect(r.results[1]?.matcherResult.missingElements).toEqual(['!kolet', '/^port/']);
    expect(line(r, 1)).toMatch(
      /to have patterns \["listen","!kolet","\/\^port\/"\] the missing elements were \["!kolet","\/\^port\/"\]$/,
    );
  });

  it('finds a running process by its kernel name (comm)', async () => {
    const r = await check(
      `process:\n  ${sleeperName}: {running: true}\n  kolet-no-such-proc: {running: false}\n  kolet-no-such-2: {running: true}\n  by-comm: {comm: ${sleeperName}, running: true}\n`,
    );
    expect(statuses(r)).toEqual([
      `Process:${sleeperName}:running=pass`,
      'Process:kolet-no-such-proc:running=pass',
      'Process:kolet-no-such-2:running=fail',
      `Process:by-comm: ${sleeperName}:running=pass`,
    ]);
  });

  it('finds listening tcp and udp ports with their addresses; a bare number is tcp', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const closed = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const r = await check(
      [
        'port:',
        `  tcp:${tcpPort}: {listening: true, ip: [127.0.0.1]}`,
        `  udp:${udpPort}: {listening: true, ip: {consist-of: [127.0.0.1]}}`,
        `  tcp:${closed}: {listening: false, ip: [127.0.0.1]}`,
        `  tcp6:${tcpPort}: {listening: true}`,
        `  "${tcpPort}": {listening: true}`,
      ].join('\n'),
    );
    expect(statuses(r)).toEqual([
      `Port:tcp:${tcpPort}:listening=pass`,
      `Port:tcp:${tcpPort}:ip=pass`,
      `Port:udp:${udpPort}:listening=pass`,
      `Port:udp:${udpPort}:ip=pass`,
      `Port:tcp:${closed}:listening=pass`,
      `Port:tcp:${closed}:ip=skip`,
      `Port:tcp6:${tcpPort}:listening=fail`,
      `Port:${tcpPort}:listening=pass`,
    ]);
  });

  it('reads kernel parameters as their trimmed text; numbers and matchers compare as goss transforms them', async () => {
    const range = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim();
    const r = await check(
      [
        'kernel-param:',
        '  kernel.ostype: {value: Linux}',
        `  net.ipv4.ip_local_port_range: {value: ${JSON.stringify(range)}}`,
        `  net.ipv4.ip_local_port_range/spaces: {name: net.ipv4.ip_local_port_range, value: ${JSON.stringify(range.replace(/\s+/g, ' '))}}`,
        '  kernel.pid_max: {value: {gt: 1000}}',
        '  kernel.no_such_param: {value: 1}',
        '  kernel/ostype: {value: {not: BSD}}',
      ].join('\n'),
    );
    expect(statuses(r)).toEqual([
      'KernelParam:kernel.ostype:value=pass',
      'KernelParam:net.ipv4.ip_local_port_range:value=pass',
      'KernelParam:net.ipv4.ip_local_port_range/spaces: net.ipv4.ip_local_port_range:value=fail',
      'KernelParam:kernel.pid_max:value=pass',
      'KernelParam:kernel.no_such_param:value=fail',
      'KernelParam:kernel/ostype:value=pass',
    ]);
    expect(r.results[4]?.err).toBe('open /proc/sys/kernel/no_such_param: no such file or directory');
  });

  it('checks mounts from mountinfo: opts, vfs-opts, source, filesystem, usage', async () => {
    const r = await check(
      [
        'mount:',
        '  /proc: {exists: true, filesystem: proc, opts: [rw], source: proc, vfs-opts: [rw]}',
        '  /kolet-not-mounted: {exists: false, opts: [rw]}',
        '  /proc/: {exists: true, opts: [ro]}',
        '  /: {exists: true, usage: {lt: 101}}',
      ].join('\n'),
    );
    expect(statuses(r)).toEqual([
      'Mount:/proc:exists=pass',
      'Mount:/proc:opts=pass',
      'Mount:/proc:vfs-opts=pass',
      'Mount:/proc:source=pass',
      'Mount:/proc:filesystem=pass',
      'Mount:/kolet-not-mounted:exists=pass',
      'Mount:/kolet-not-mounted:opts=skip',
      'Mount:/proc/:exists=pass',
      'Mount:/proc/:opts=fail',
      'Mount:/:exists=pass',
      'Mount:/:usage=pass',
    ]);
    expect(r.results[8]?.matcherResult.missingElements).toEqual(['ro']);
  });

  it('runs commands with sh -c: exit-status, stdout and stderr as patterns, text or matchers', async () => {
    const r = await check(
      [
        'command:',
        '  "echo out; echo err >&2; exit 3":',
        '    exit-status: 3',
        '    stdout: [out, "/^out$/"]',
        '    stderr: ["!nothing", err]',
        '  named:',
        '    exec: printf "%s" "$HOME-ish"',
        '    exit-status: {lt: 1}',
        '    stdout: {have-suffix: -ish}',
        '  zero:',
        "    exec: printf '0\\n'",
        '    exit-status: "0"',
        '    stdout: |',
        '      0',
        '  "printf 1.2.3":',
        '    exit-status: 0',
        '    stdout: {semver-constraint: ">1.0.0"}',
        '  false: {exit-status: 0}',
      ].join('\n'),
    );
    expect(statuses(r)).toEqual([
      'Command:echo out; echo err >&2; exit 3:exit-status=pass',
      'Command:echo out; echo err >&2; exit 3:stdout=pass',
      'Command:echo out; echo err >&2; exit 3:stderr=pass',
      'Command:named:exit-status=pass',
      'Command:named:stdout=pass',
      'Command:zero:exit-status=pass',
      'Command:zero:stdout=pass',
      'Command:printf 1.2.3:exit-status=pass',
      'Command:printf 1.2.3:stdout=pass',
      'Command:false:exit-status=fail',
    ]);
    expect(r.warnings).toEqual([
      'DEPRECATION WARNING: zero: command.exit-status should be an integer not a string',
    ]);
  });

  it('kills a command at its timeout, children included, and fails every attribute as goss does', async () => {
    const t0 = Date.now();
    const r = await check(
      'command:\n  "sleep 30 & sleep 30; echo never":\n    exit-status: 0\n    stdout: [never]\n    timeout: 300\n',
    );
    // far below the 30 s of the sleeps, with room for a loaded runner
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.results.map((x) => [x.status, x.err])).toEqual([
      ['fail', 'Command execution timed out (300ms)'],
      ['fail', 'Command execution timed out (300ms)'],
    ]);
  });

  it('retries a command (retry_count, retry_delay) until its checks pass', async () => {
    const flag = join(dir, 'retry-flag');
    const r = await check(
      `command:\n  "test -e ${flag} || { touch ${flag}; exit 1; }":\n    exit-status: 0\n    retry_count: 2\n    retry_delay: 50ms\n`,
    );
    expect(statuses(r)).toEqual([`Command:test -e ${flag} || { touch ${flag}; exit 1; }:exit-status=pass`]);
  });

  it('resolves names with the system resolver', async () => {
    const r = await check(
      'dns:\n  localhost: {resolvable: true, addrs: [127.0.0.1]}\n  kolet-no-such-host.invalid: {resolvable: false, timeout: 3s}\n  alias: {resolve: localhost, resolvable: true}\n',
    );
    expect(statuses(r)).toEqual([
      'DNS:localhost:resolvable=pass',
      'DNS:localhost:addrs=pass',
      'DNS:kolet-no-such-host.invalid:resolvable=pass',
      'DNS:alias: localhost:resolvable=pass',
    ]);
  });

  it('asks a DNS server (dnsmasq) for each record type goss knows, answers printed as goss prints them', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const port = sock.address().port;
    sock.close();
    const dns = spawn(
      'dnsmasq',
      [
        '--keep-in-foreground',
        '--conf-file=/dev/null',
        '--no-resolv',
        '--no-hosts',
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        `--port=${port}`,
        '--pid-file=',
        '--host-record=a.kt.test,192.0.2.10,2001:db8::10',
        '--cname=c.kt.test,a.kt.test',
        '--mx-host=kt.test,mail.kt.test,10',
        '--srv-host=_https._tcp.kt.test,a.kt.test,443,0,5',
        '--txt-record=kt.test,v=spf1 -all',
        '--ptr-record=10.2.0.192.in-addr.arpa,a.kt.test',
        '--dns-rr=kt.test,257,000569737375656c657473656e63727970742e6f7267',
        '--dns-rr=a.kt.test,44,0102aabbccdd',
      ],
      { stdio: 'ignore' },
    );
    try {
      await new Promise((r) => setTimeout(r, 500));
      const server = `127.0.0.1:${port}`;
      const r = await check(
        [
          'dns:',
          `  a.kt.test: {resolvable: true, server: "${server}", addrs: {consist-of: [192.0.2.10, "2001:db8::10"]}}`,
          `  A:a.kt.test: {resolvable: true, server: "${server}", addrs: [192.0.2.10]}`,
          `  AAAA:a.kt.test: {resolvable: true, server: "${server}", addrs: ["2001:db8::10"]}`,
          `  CNAME:c.kt.test: {resolvable: true, server: "${server}", addrs: [a.kt.test.]}`,
          `  MX:kt.test: {resolvable: true, server: "${server}", addrs: [10 mail.kt.test.]}`,
          `  SRV:_https._tcp.kt.test: {resolvable: true, server: "${server}", addrs: ["0 5 443 a.kt.test."]}`,
          `  TXT:kt.test: {resolvable: true, server: "${server}", addrs: [v=spf1 -all]}`,
          `  PTR:192.0.2.10: {resolvable: true, server: "${server}", addrs: [a.kt.test.]}`,
          `  CAA:kt.test: {resolvable: true, server: "${server}", addrs: [0 issue letsencrypt.org]}`,
          `  SSHFP:a.kt.test: {resolvable: true, server: "${server}", addrs: [1 2 AABBCCDD]}`,
          `  nope.kt.test: {resolvable: false, server: "${server}"}`,
        ].join('\n'),
      );
      expect(
        r.results
          .filter((x) => x.status !== 'pass')
          .map((x) => `${x.resourceId}:${x.property} ${line(r, r.results.indexOf(x))}`),
      ).toEqual([]);
      expect(r.summary.count).toBe(21);
    } finally {
      dns.kill('SIGTERM');
    }
  });

  it('fetches URLs: status, Body, Headers, redirects, method, request body and headers, basic auth', async () => {
    const base = `http://127.0.0.1:${httpPort}`;
    const r = await check(
      [
        'http:',
        `  ${base}/health: {status: 200, body: ["status: ok", "/version \\\\d+\\\\.\\\\d+/"], headers: ["X-Kolet: yes", "/^Content-Type: text\\\\/plain/i"]}`,
        `  ${base}/old: {status: 200, body: [ok]}`,
        `  ${base}/old?x: {status: 302, no-follow-redirects: true}`,
        `  ${base}/nope: {status: 200, body: [x]}`,
        `  http://127.0.0.1:1/: {status: 200, timeout: 2s}`,
        `  echo:`,
        `    url: ${base}/echo`,
        '    method: PUT',
        '    request-body: \'{"k": "v"}\'',
        '    request-headers: ["X-Test: one", "Host: example.test"]',
        '    username: u',
        '    password: p',
        '    status: 200',
        '    body: [method=PUT, \'body={"k": "v"}\', x-test=one, host=example.test, "auth=Basic dTpw", "/^ua=goss\\\\//"]',
        `  ${base}/post-redirect: {method: POST, request-body: x, status: 200, body: [method=GET, "/^body=$/"]}`,
      ].join('\n'),
    );
    expect(statuses(r).map((s) => s.replace(base, 'B'))).toEqual([
      'HTTP:B/health:status=pass',
      'HTTP:B/health:Headers=pass',
      'HTTP:B/health:Body=pass',
      'HTTP:B/old:status=pass',
      'HTTP:B/old:Body=pass',
      'HTTP:B/old?x:status=pass',
      'HTTP:B/nope:status=fail',
      'HTTP:B/nope:Body=skip',
      'HTTP:http://127.0.0.1:1/:status=fail',
      'HTTP:echo: B/echo:status=pass',
      'HTTP:echo: B/echo:Body=pass',
      'HTTP:B/post-redirect:status=pass',
      'HTTP:B/post-redirect:Body=pass',
    ]);
    expect(r.results[8]?.err).toMatch(/^Get "http:\/\/127\.0\.0\.1:1\/": connect ECONNREFUSED/);
  });

  it('fetches https: allow-insecure, or trust a ca-file', async (t) => {
    if (!https) t.skip(); // no openssl to make a certificate
    const url = `https://127.0.0.1:${httpsPort}/`;
    const r = await check(
      [
        'http:',
        `  ${url}: {status: 200, body: [secure], allow-insecure: true}`,
        `  ${url}?strict: {status: 200}`,
        `  ${url}?ca: {status: 200, ca-file: ${join(dir, 'cert.pem')}}`,
        `  ${url}?badca: {status: 200, ca-file: ${join(dir, 'conf')}}`,
      ].join('\n'),
    );
    expect(statuses(r).map((s) => s.replace(url, 'U'))).toEqual([
      'HTTP:U:status=pass',
      'HTTP:U:Body=pass',
      'HTTP:U?strict:status=fail',
      'HTTP:U?ca:status=pass',
      'HTTP:U?badca:status=fail',
    ]);
    expect(r.results[2]?.err).toMatch(/self[- ]signed/);
    expect(r.results[4]?.err).toBe(`Failed parse root certificate: ${join(dir, 'conf')}`);
  });

  it('fetches through a proxy (an HTTP proxy answering absolute-URI requests)', async () => {
    let seen = '';
    const proxy = createHttpServer((req, res) => {
      seen = req.url ?? '';
      res.writeHead(200, { 'content-type': 'text/plain' }).end('via proxy');
    }).listen(0, '127.0.0.1');
    await new Promise((r) => proxy.once('listening', r));
    try {
      const r = await check(
        `http:\n  http://kolet.invalid/x: {status: 200, body: [via proxy], proxy: "http://127.0.0.1:${(proxy.address() as AddressInfo).port}"}\n`,
      );
      expect(statuses(r)).toEqual([
        'HTTP:http://kolet.invalid/x:status=pass',
        'HTTP:http://kolet.invalid/x:Body=pass',
      ]);
      expect(seen).toBe('http://kolet.invalid/x');
    } finally {
      proxy.close();
    }
  });

  it('checks packages with the detected package manager (dpkg here), --package, and version matchers', async () => {
    const dpkgVersion = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'dpkg'], {
      encoding: 'utf8',
    }).stdout;
    const r = await check(
      `package:\n  dpkg: {installed: true, versions: [${JSON.stringify(dpkgVersion)}]}\n  kolet-no-such-package: {installed: false, versions: [1]}\n  pkg: {name: dpkg, installed: true, versions: {have-len: 1}}\n`,
    );
    expect(statuses(r)).toEqual([
      'Package:dpkg:installed=pass',
      'Package:dpkg:version=pass',
      'Package:kolet-no-such-package:installed=pass',
      'Package:kolet-no-such-package:version=skip',
      'Package:pkg: dpkg:installed=pass',
      'Package:pkg: dpkg:version=pass',
    ]);
    // A package manager that is not installed finds nothing installed, as goss's does.
    const rpm = await check('package:\n  dpkg: {installed: true}\n', { packageManager: 'rpm' });
    expect(statuses(rpm)).toEqual(['Package:dpkg:installed=fail']);
  });

  it('reads services with systemctl (-q is-enabled / is-active), and SysV init without it', async () => {
    // A stand-in systemctl (a real program on PATH): enabled for sshd only, active for nothing.
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(
      join(bin, 'systemctl'),
      '#!/bin/sh\ncase "$2 $3" in "is-enabled sshd") exit 0;; "is-enabled "*) exit 1;; *) exit 3;; esac\n',
      { mode: 0o755 },
    );
    const r = await check(
      'service:\n  sshd: {enabled: true, running: false, runlevels: {have-len: 0}}\n  cron: {enabled: true, runlevels: ["3"]}\n  a/b: {enabled: false}\n',
      { env: { PATH: bin } },
    );
    expect(statuses(r)).toEqual([
      'Service:sshd:enabled=pass',
      'Service:sshd:running=pass',
      'Service:sshd:runlevels=pass',
      'Service:cron:enabled=fail',
      'Service:cron:runlevels=fail',
      'Service:a/b:enabled=pass',
    ]);
    // systemd has no runlevels: goss's value is a nil slice, empty to matchers and null in reports
    expect(line(r, 4)).toBe(
      'Service: cron: runlevels: Expected null to contain elements matching ["3"] the missing elements were ["3"]',
    );
    const init = await check('service:\n  kolet-no-such-service: {enabled: false, running: false}\n', {
      env: { PATH: '/nonexistent' },
    });
    expect(statuses(init)).toEqual([
      'Service:kolet-no-such-service:enabled=pass',
      'Service:kolet-no-such-service:running=pass',
    ]);
  });

  it('checks whether addresses are reachable over tcp (and udp, which has no handshake)', async () => {
    const r = await check(
      `addr:\n  tcp://127.0.0.1:${tcpPort}: {reachable: true}\n  tcp://127.0.0.1:1: {reachable: true, timeout: 2s}\n  udp://127.0.0.1:${udpPort}: {reachable: true}\n  from-lo: {address: "tcp://127.0.0.1:${tcpPort}", local-address: 127.0.0.1, reachable: true}\n`,
    );
    expect(statuses(r)).toEqual([
      `Addr:tcp://127.0.0.1:${tcpPort}:reachable=pass`,
      'Addr:tcp://127.0.0.1:1:reachable=fail',
      `Addr:udp://127.0.0.1:${udpPort}:reachable=pass`,
      `Addr:from-lo: tcp://127.0.0.1:${tcpPort}:reachable=pass`,
    ]);
  });

  it('checks network interfaces: lo (exists, mtu 65536, 127.0.0.1/8) and ones that do not exist', async () => {
    const r = await check(
      [
        'interface:',
        '  lo: {exists: true, mtu: 65536, addrs: [127.0.0.1/8]}',
        '  kt-nope0: {exists: false}',
        '  kt-nope1: {exists: true, mtu: 1500, addrs: [192.0.2.1/24]}',
        '  kt-nope2: {mtu: 1500}',
        '  loopback: {name: lo, exists: true, mtu: {gt: 1500}}',
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
      'Interface:kt-nope2:exists=fail',
      'Interface:kt-nope2:mtu=skip',
      'Interface:loopback: lo:exists=pass',
      'Interface:loopback: lo:mtu=pass',
    ]);
    expect(line(r, 2)).toBe('Interface: lo: mtu: matches expectation: 65536');
    const bad = await check(
      'interface:\n  lo: {exists: true, mtu: 1500, addrs: [127.0.0.1/8, 192.0.2.1/24]}\n',
    );
    expect(statuses(bad)).toEqual([
      'Interface:lo:exists=pass',
      'Interface:lo:addrs=fail',
      'Interface:lo:mtu=fail',
    ]);
    expect(bad.results[1]?.matcherResult.missingElements).toEqual(['192.0.2.1/24']);
    expect(line(bad, 2)).toBe('Interface: lo: mtu: Expected 65536 to be numerically eq 1500');
  });

  it('reads existence and mtu from the sysfs directory it is given (a file there is no interface)', async () => {
    await mkdir(join(dir, 'net/kt9'), { recursive: true });
    await writeFile(join(dir, 'net/kt9/mtu'), '9000\n');
    await writeFile(join(dir, 'net/bonding_masters'), '\n');
    const r = await check(
      'interface:\n  kt9: {exists: true, mtu: 9000}\n  lo: {exists: false}\n  bonding_masters: {exists: false}\n',
      {
        paths: { sysClassNet: join(dir, 'net') },
      },
    );
    expect(statuses(r)).toEqual([
      'Interface:kt9:exists=pass',
      'Interface:kt9:mtu=pass',
      'Interface:lo:exists=pass',
      'Interface:bonding_masters:exists=pass',
    ]);
  });

  it('checks values written in the spec against matchers (matching), as values or as text', async () => {
    const r = await check(
      [
        'matching:',
        '  count: {content: 14, matches: {gt: 0}}',
        '  status: {content: FAIL, matches: {not: FAIL}}',
        '  lines: {content: "a\\nb\\n", as-reader: true, matches: [a, "!c"]}',
        '  skipped: {content: 1, matches: 2, skip: true}',
        '  titled: {title: "a title", meta: {sev: 5}, content: [1, 2], matches: {have-len: 2}}',
      ].join('\n'),
    );
    expect(statuses(r)).toEqual([
      'Matching:count:matches=pass',
      'Matching:status:matches=fail',
      'Matching:lines:matches=pass',
      'Matching:skipped:matches=skip',
      'Matching:titled:matches=pass',
    ]);
    expect(r.results[4]).toMatchObject({ title: 'a title', meta: { sev: 5 } });
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

  it('skips every attribute of a resource marked skip: true (required ones too)', async () => {
    const r = await check(
      'file:\n  /etc/passwd: {skip: true, exists: true, mode: "0644"}\nprocess:\n  x: {skip: true}\n',
    );
    expect(statuses(r)).toEqual([
      'File:/etc/passwd:exists=skip',
      'File:/etc/passwd:mode=skip',
      'Process:x:running=skip',
    ]);
    expect(r.summary).toMatchObject({ count: 3, failed: 0, skipped: 3 });
  });

  it('fails what is still running at the run timeout', async () => {
    const t0 = Date.now();
    const r = await check(
      'command:\n  sleep 20: {exit-status: 0, timeout: 60s}\nfile:\n  /etc/passwd: {exists: true}\n',
      { timeoutMs: 300 },
    );
    // far below the 20 s of the sleep, with room for a loaded runner
    expect(Date.now() - t0).toBeLessThan(12_000);
    expect(statuses(r)).toEqual(['Command:sleep 20:exit-status=fail', 'File:/etc/passwd:exists=pass']);
    expect(r.results[0]?.err).toMatch(/timed out/);
  });

  it('retries a failing spec until it passes (retry-timeout)', async () => {
    const later = join(dir, 'appears-later');
    setTimeout(() => void writeFile(later, 'x'), 300);
    const retries: number[] = [];
    const r = await check(`file:\n  ${later}: {exists: true}\n`, {
      retryTimeoutMs: 5000,
      sleepMs: 100,
      onRetry: (n) => {
        retries.push(n);
      },
    });
    expect(r.summary.failed).toBe(0);
    expect(retries.length).toBeGreaterThan(0);
  });
});
