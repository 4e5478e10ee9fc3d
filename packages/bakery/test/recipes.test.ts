import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bakery, exec, ls, makeTree, requireBuilt, tempDirs } from './helpers.js';
import { sha256, startFixtureServer, type FixtureServer } from './recipe-server.js';

const tmp = tempDirs();
let server: FixtureServer;
const files = new Map<string, Buffer>();
const bin = (name: string): string => `#!/bin/sh\necho fake ${name}\n`;

async function tarball(items: Record<string, string>): Promise<Buffer> {
  const dir = await tmp.make('tar');
  const tree: Record<string, { content: string; mode: number }> = {};
  for (const [p, c] of Object.entries(items)) tree[p] = { content: c, mode: 0o755 };
  await makeTree(join(dir, 'root'), tree);
  const r = await exec('tar', ['-czf', join(dir, 'a.tgz'), '-C', join(dir, 'root'), '.']);
  if (r.code !== 0) throw new Error(r.stderr);
  return readFile(join(dir, 'a.tgz'));
}

beforeAll(async () => {
  await requireBuilt();
  // docker: a static tarball, no upstream checksum
  const docker = await tarball(
    Object.fromEntries(
      [
        'dockerd',
        'docker',
        'docker-init',
        'docker-proxy',
        'containerd',
        'containerd-shim-runc-v2',
        'ctr',
        'runc',
      ].map((b) => [`docker/${b}`, bin(b)]),
    ),
  );
  files.set('/linux/static/stable/x86_64/docker-24.0.9.tgz', docker);
  // containerd + runc with their sums files, and a "latest" release
  const ctd = await tarball({
    'bin/containerd': bin('containerd'),
    'bin/ctr': bin('ctr'),
    'bin/containerd-shim-runc-v2': bin('shim'),
  });
  files.set('/containerd/containerd/releases/download/v1.7.13/containerd-1.7.13-linux-amd64.tar.gz', ctd);
  files.set(
    '/containerd/containerd/releases/download/v1.7.13/containerd-1.7.13-linux-amd64.tar.gz.sha256sum',
    Buffer.from(`${sha256(ctd)}  containerd-1.7.13-linux-amd64.tar.gz\n`),
  );
  const runc = Buffer.from(bin('runc'));
  files.set('/opencontainers/runc/releases/download/v1.1.12/runc.amd64', runc);
  files.set(
    '/opencontainers/runc/releases/download/v1.1.12/runc.sha256sum',
    Buffer.from(`${'0'.repeat(64)}  runc.arm64\n${sha256(runc)}  runc.amd64\n`),
  );
  files.set(
    '/repos/containerd/containerd/releases/latest',
    Buffer.from(JSON.stringify({ tag_name: 'v1.7.13' })),
  );
  // containerd 1.7.14 whose published checksum does not match
  const ctd14 = await tarball({ 'bin/containerd': bin('containerd 14') });
  files.set('/containerd/containerd/releases/download/v1.7.14/containerd-1.7.14-linux-amd64.tar.gz', ctd14);
  files.set(
    '/containerd/containerd/releases/download/v1.7.14/containerd-1.7.14-linux-amd64.tar.gz.sha256sum',
    Buffer.from(`${'a'.repeat(64)}  containerd-1.7.14-linux-amd64.tar.gz\n`),
  );
  // docker compose: a single binary with a "hex *name" checksum
  const compose = Buffer.from(bin('compose'));
  files.set('/docker/compose/releases/download/v2.24.6/docker-compose-linux-x86_64', compose);
  files.set(
    '/docker/compose/releases/download/v2.24.6/docker-compose-linux-x86_64.sha256',
    Buffer.from(`${sha256(compose)} *docker-compose-linux-x86_64\n`),
  );
  // kubernetes: three binaries with bare-hex .sha256, CNI tarball
  for (const b of ['kubelet', 'kubeadm', 'kubectl']) {
    const body = Buffer.from(bin(b));
    files.set(`/release/v1.29.2/bin/linux/amd64/${b}`, body);
    files.set(`/release/v1.29.2/bin/linux/amd64/${b}.sha256`, Buffer.from(sha256(body)));
  }
  const cni = await tarball({ './bridge': bin('bridge'), './loopback': bin('loopback') });
  files.set('/containernetworking/plugins/releases/download/v1.4.0/cni-plugins-linux-amd64-v1.4.0.tgz', cni);
  files.set(
    '/containernetworking/plugins/releases/download/v1.4.0/cni-plugins-linux-amd64-v1.4.0.tgz.sha256',
    Buffer.from(`${sha256(cni)}  cni-plugins-linux-amd64-v1.4.0.tgz\n`),
  );
  server = await startFixtureServer(files);
});
afterAll(async () => {
  await server?.close();
  await tmp.cleanup();
});

interface Created {
  file: string;
  recipe: string;
  downloads: { url: string; verifiedBy: string }[];
  upholds: { unit: string; target: string }[];
  metadata: Record<string, string>;
}

async function listImage(img: string): Promise<string> {
  return (await exec('unsquashfs', ['-lln', '-d', '', img])).stdout;
}

describe('bakery create --recipe (fixtures from a local HTTP server)', () => {
  it('lists the built-in recipes', async () => {
    const r = await bakery(['list-recipes', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as {
      name: string;
      downloads: { checksum: string }[];
      recipe: unknown;
    }[];
    expect(rows.map((x) => x.name)).toEqual([
      'docker',
      'containerd',
      'kubernetes',
      'k3s',
      'wasmtime',
      'tailscale',
      'docker-compose',
    ]);
    expect(rows.every((x) => x.recipe !== undefined)).toBe(true);
    expect(rows.find((x) => x.name === 'docker')!.downloads[0]!.checksum).toMatch(/--sha256/);
  });

  it('builds docker-compose verified by the published .sha256', async () => {
    const out = await tmp.make('compose');
    const r = await bakery([
      'create',
      '--recipe',
      'docker-compose',
      '--version',
      '2.24.6',
      '--base-url',
      server.url,
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as Created;
    expect(res.file).toBe('docker-compose-2.24.6-x86-64.raw');
    expect(res.downloads[0]!.verifiedBy).toBe(
      `${server.url}/docker/compose/releases/download/v2.24.6/docker-compose-linux-x86_64.sha256`,
    );
    const l = await listImage(join(out, res.file));
    expect(l).toMatch(/-rwxr-xr-x 0\/0 .* \/usr\/libexec\/docker\/cli-plugins\/docker-compose/);
    expect(l).toContain('/usr/bin/docker-compose -> ../libexec/docker/cli-plugins/docker-compose');
    expect(await ls(out)).toEqual(['SHA256SUMS', res.file]);
  });

  it('builds containerd --version latest: tarball + runc from SUMS files, units and Upholds=', async () => {
    const out = await tmp.make('containerd');
    const r = await bakery([
      'create',
      '--recipe',
      'containerd',
      '--version',
      'latest',
      '--base-url',
      server.url,
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as Created;
    expect(res.file).toBe('containerd-1.7.13-x86-64.raw');
    expect(res.upholds).toEqual([{ unit: 'containerd.service', target: 'multi-user.target' }]);
    expect(res.metadata.EXTENSION_RELOAD_MANAGER).toBe('1');
    const img = join(out, res.file);
    const l = await listImage(img);
    for (const f of [
      '/usr/bin/containerd',
      '/usr/bin/ctr',
      '/usr/bin/containerd-shim-runc-v2',
      '/usr/bin/runc',
      '/usr/lib/systemd/system/containerd.service',
      '/usr/share/containerd/config.toml',
    ])
      expect(l).toContain(f);
    expect((await exec('unsquashfs', ['-cat', img, 'usr/bin/runc'])).stdout).toBe(bin('runc'));
  });

  it('builds kubernetes with the CNI plugins directory', async () => {
    const out = await tmp.make('k8s');
    const r = await bakery([
      'create',
      '--recipe',
      'kubernetes',
      '--version',
      '1.29.2',
      '--base-url',
      server.url,
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const l = await listImage(join(out, 'kubernetes-1.29.2-x86-64.raw'));
    for (const f of [
      '/usr/bin/kubelet',
      '/usr/bin/kubeadm',
      '/usr/bin/kubectl',
      '/usr/libexec/cni/bridge',
      '/usr/libexec/cni/loopback',
      '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf',
    ])
      expect(l).toContain(f);
  });

  it('needs a pinned checksum for docker (exit 2), builds with the right pin, fails on a wrong one (exit 1, no image)', async () => {
    const out = await tmp.make('docker');
    const base = [
      'create',
      '--recipe',
      'docker',
      '--version',
      '24.0.9',
      '--base-url',
      server.url,
      '--out',
      out,
    ];
    const none = await bakery(base);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      `${server.url}/linux/static/stable/x86_64/docker-24.0.9.tgz: no checksum is known`,
    );
    expect(none.stderr).toContain('--sha256 docker-24.0.9.tgz=HEX');

    const wrong = 'b'.repeat(64);
    const actual = sha256(files.get('/linux/static/stable/x86_64/docker-24.0.9.tgz')!);
    const bad = await bakery([...base, '--sha256', `docker-24.0.9.tgz=${wrong}`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `${server.url}/linux/static/stable/x86_64/docker-24.0.9.tgz: sha256 mismatch`,
    );
    expect(bad.stderr).toContain(`expected ${wrong}`);
    expect(bad.stderr).toContain(`got ${actual}`);
    expect(await ls(out)).toEqual([]);

    const good = await bakery([...base, '--sha256', `docker-24.0.9.tgz=${actual}`, '--json']);
    expect(good.code, good.stderr).toBe(0);
    const res = JSON.parse(good.stdout) as Created;
    expect(res.upholds).toEqual([
      { unit: 'docker.socket', target: 'sockets.target' },
      { unit: 'containerd.service', target: 'multi-user.target' },
    ]);
    const l = await listImage(join(out, res.file));
    expect(l).toContain('/usr/lib/systemd/system/sockets.target.d/10-docker-socket.conf');
    expect(l).toContain('/usr/bin/dockerd');
    expect(await ls(out)).toEqual(['SHA256SUMS', 'docker-24.0.9-x86-64.raw']);
  });

  it('fails with exit 1 naming the URL and both hashes when the upstream checksum does not match', async () => {
    const out = await tmp.make('mismatch');
    const r = await bakery([
      'create',
      '--recipe',
      'containerd',
      '--version',
      '1.7.14',
      '--base-url',
      server.url,
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    const url = `${server.url}/containerd/containerd/releases/download/v1.7.14/containerd-1.7.14-linux-amd64.tar.gz`;
    expect(r.stderr).toContain(`${url}: sha256 mismatch: expected ${'a'.repeat(64)}`);
    expect(r.stderr).toContain(
      `got ${sha256(files.get('/containerd/containerd/releases/download/v1.7.14/containerd-1.7.14-linux-amd64.tar.gz')!)}`,
    );
    expect(await ls(out)).toEqual([]);
  });

  it('reports a missing release (404) with exit 1 and bad recipe flags with exit 2', async () => {
    const out = await tmp.make('missing');
    const r = await bakery([
      'create',
      '--recipe',
      'docker-compose',
      '--version',
      '9.9.9',
      '--base-url',
      server.url,
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HTTP 404/);
    for (const [args, msg] of [
      [['--recipe', 'nosuch', '--version', '1'], /no built-in recipe/],
      [['--recipe', 'docker', '--version', 'latest'], /has no version source/],
      [['--recipe', 'containerd'], /--version is required/],
      [['--recipe', 'containerd', '--version', '1', '--param', 'nope=1'], /no parameter "nope"/],
      [['--recipe', 'containerd', '--version', '1', '--arch', 'riscv'], /--arch "riscv"/],
    ] as [string[], RegExp][]) {
      const x = await bakery(['create', ...args, '--base-url', server.url, '--out', out]);
      expect(x.code, args.join(' ')).toBe(2);
      expect(x.stderr).toMatch(msg);
    }
    expect(await ls(out)).toEqual([]);
  });
});
