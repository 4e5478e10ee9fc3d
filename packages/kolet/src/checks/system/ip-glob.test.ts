import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globPaths, globPatternProblem, hasGlobMagic } from './glob.js';
import { canonicalCidr, parseIpAddrJson, parseIpAddrText, readInterfaceAddrs } from './ip-addr.js';

describe('interface addresses', () => {
  it('spells addresses one way: IPv6 lower case and compressed, prefixes in range', () => {
    expect(canonicalCidr('192.0.2.1/24')).toBe('192.0.2.1/24');
    expect(canonicalCidr('FE80:0000:0::42:ACFF:FE11:2/64')).toBe('fe80::42:acff:fe11:2/64');
    expect(canonicalCidr('2001:db8:0:0:1:0:0:1/48')).toBe('2001:db8::1:0:0:1/48');
    expect(canonicalCidr('::1/128')).toBe('::1/128');
    expect(canonicalCidr('::ffff:192.0.2.9/96')).toBe('::ffff:192.0.2.9/96');
    expect(canonicalCidr('0:0:0:0:0:ffff:c000:209/96')).toBe('::ffff:192.0.2.9/96');
    for (const bad of [
      '192.0.2.1',
      '192.0.2.1/33',
      '::1/129',
      'fe80::1%eth0/64',
      '300.1.1.1/8',
      'eth0/8',
      '',
    ])
      expect(canonicalCidr(bad), bad).toBeUndefined();
  });

  it('reads `ip -j addr show` (iproute2 JSON)', () => {
    const json = JSON.stringify([
      {
        ifname: 'lo',
        mtu: 65536,
        addr_info: [
          { family: 'inet', local: '127.0.0.1', prefixlen: 8 },
          { family: 'inet6', local: '::1', prefixlen: 128 },
        ],
      },
      {
        ifname: 'eth0',
        addr_info: [{ family: 'inet', local: '10.0.0.1', address: '10.0.0.2', prefixlen: 32 }],
      },
      { ifname: 'dummy0', addr_info: [] },
    ]);
    expect(parseIpAddrJson(json)).toEqual(
      new Map([
        ['lo', ['127.0.0.1/8', '::1/128']],
        ['eth0', ['10.0.0.1/32']],
        ['dummy0', []],
      ]),
    );
    expect(parseIpAddrJson('Usage: ip [OPTIONS]')).toBeUndefined();
    expect(parseIpAddrJson('{}')).toBeUndefined();
  });

  it('reads the text of `ip addr show` (busybox, old iproute2): veth @peer names and point-to-point peers', () => {
    const text = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
      '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
      '    inet 127.0.0.1/8 scope host lo',
      '       valid_lft forever preferred_lft forever',
      '    inet6 ::1/128 scope host ',
      '3: veth0@if2: <BROADCAST,MULTICAST> mtu 1400 qdisc noop state DOWN',
      '    inet 192.0.2.5/24 brd 192.0.2.255 scope global veth0',
      '    inet6 2001:DB8::5/64 scope global tentative ',
      '4: tun0: <POINTOPOINT> mtu 1500',
      '    inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0',
      '5: empty0: <BROADCAST> mtu 1500',
    ].join('\n');
    expect(parseIpAddrText(text)).toEqual(
      new Map([
        ['lo', ['127.0.0.1/8', '::1/128']],
        ['veth0', ['192.0.2.5/24', '2001:db8::5/64']],
        ['tun0', ['10.8.0.1/32']],
        ['empty0', []],
      ]),
    );
  });

  it('runs the real ip for this host: lo has 127.0.0.1/8; without ip it says so', async () => {
    const signal = new AbortController().signal;
    const r = await readInterfaceAddrs('/usr/sbin/ip', { env: process.env, signal });
    expect('addrs' in r && r.addrs.get('lo')).toContain('127.0.0.1/8');
    expect(await readInterfaceAddrs(undefined, { env: process.env, signal })).toEqual({
      unsupported: 'ip (iproute2) is not installed',
    });
  });
});

describe('gossfile globs (Go filepath.Glob rules)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kolet-glob-'));
    await mkdir(join(dir, 'conf.d/sub'), { recursive: true });
    await mkdir(join(dir, 'other.d'));
    for (const f of ['b.yaml', 'a.yaml', '.hidden.yaml', 'c.yml', 'x[1].yaml', 'sub/d.yaml'])
      await writeFile(join(dir, 'conf.d', f), 'user: {}\n');
    await writeFile(join(dir, 'other.d/e.yaml'), '');
    await symlink(join(dir, 'other.d'), join(dir, 'linked.d'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('matches * ? [classes] within one directory, sorted, dot files included as in Go', async () => {
    const rel = async (p: string) => (await globPaths(join(dir, p))).map((x) => x.slice(dir.length + 1));
    expect(await rel('conf.d/*.yaml')).toEqual([
      'conf.d/.hidden.yaml',
      'conf.d/a.yaml',
      'conf.d/b.yaml',
      'conf.d/x[1].yaml',
    ]);
    expect(await rel('conf.d/?.y*ml')).toEqual(['conf.d/a.yaml', 'conf.d/b.yaml', 'conf.d/c.yml']);
    expect(await rel('conf.d/[^ab].*')).toEqual(['conf.d/c.yml']);
    expect(await rel('conf.d/[a-b].yaml')).toEqual(['conf.d/a.yaml', 'conf.d/b.yaml']);
    expect(await rel('conf.d/x\\[1\\].yaml')).toEqual(['conf.d/x[1].yaml']);
    expect(await rel('*/e.yaml')).toEqual(['linked.d/e.yaml', 'other.d/e.yaml']);
    expect(await rel('conf.d/*/d.yaml')).toEqual(['conf.d/sub/d.yaml']);
    expect(await rel('conf.d/a.yaml')).toEqual(['conf.d/a.yaml']);
    expect(await rel('conf.d/none.yaml')).toEqual([]);
    expect(await rel('nodir/*.yaml')).toEqual([]);
  });

  it('names malformed patterns', () => {
    expect(hasGlobMagic('/a/b.yaml')).toBe(false);
    expect(hasGlobMagic('/a/*.yaml')).toBe(true);
    expect(globPatternProblem('/a/[ab.yaml')).toBe('bad pattern [ab.yaml: [ without ]');
    expect(globPatternProblem('/a/b\\')).toBe('bad pattern b\\: it ends with a backslash');
    expect(globPatternProblem('/a/[a-z]*.yaml')).toBeUndefined();
  });
});
