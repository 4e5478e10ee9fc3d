import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, bakery, exec, ls, makeTree, requireBuilt, tempDirs } from './helpers.js';
import { busyboxImage, must } from './oci-image.js';
import {
  REGISTRY_PASSWORD,
  REGISTRY_USER,
  freePort,
  startRegistry,
  type Registry,
} from '@mantle/test-utils/registry';

// bakery oci-rootfs with the real skopeo, umoci and bubblewrap, against a real docker-registry on
// 127.0.0.1 and local OCI layouts/archives. The test image is built here with umoci: busybox
// (static) with symlinks and marker files, a second layer that adds /etc/added, a third that
// deletes /etc/gone (a whiteout); an arm64 variant and a multi-architecture index over both.

const tmp = tempDirs();
let work: string;
let layout: string;
let reg: Registry;
let authReg: Registry;
const digests: Record<string, string> = {};

async function layoutDigest(tag: string): Promise<string> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const d = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)?.digest;
  if (!d) throw new Error(`no ${tag} in the layout`);
  return d;
}

// An OCI index over the amd64 and arm64 images, tagged `multi` in the layout.
async function addIndex(): Promise<void> {
  const indexFile = join(layout, 'index.json');
  const index = JSON.parse(await readFile(indexFile, 'utf8')) as {
    manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
  };
  const entry = (tag: string, architecture: string) => {
    const m = index.manifests.find((x) => x.annotations?.['org.opencontainers.image.ref.name'] === tag)!;
    return {
      mediaType: m.mediaType,
      digest: m.digest,
      size: m.size,
      platform: { architecture, os: 'linux' },
    };
  };
  const blob = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [entry('t', 'amd64'), entry('arm', 'arm64')],
    }),
  );
  const hex = createHash('sha256').update(blob).digest('hex');
  await writeFile(join(layout, 'blobs/sha256', hex), blob);
  index.manifests.push({
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest: `sha256:${hex}`,
    size: blob.length,
    annotations: { 'org.opencontainers.image.ref.name': 'multi' },
  });
  await writeFile(indexFile, JSON.stringify(index));
}

beforeAll(async () => {
  await requireBuilt();
  work = await tmp.make('oci');
  layout = join(work, 'L');
  const bundle = join(work, 'bundle');
  await busyboxImage(layout, 't', bundle, {
    applets: ['sh', 'cat', 'echo', 'readlink', 'sleep', 'touch', 'test'],
    tree: { 'etc/marker': 'marker\n', 'etc/gone': 'gone\n', 'ro/f': 'read-only dir\n' },
    extra: async (root) => void (await exec('chmod', ['555', join(root, 'ro')])),
  });
  await writeFile(join(work, 'added'), 'added\n');
  await must('umoci', ['insert', '--image', `${layout}:t`, join(work, 'added'), '/etc/added']);
  await must('umoci', ['insert', '--image', `${layout}:t`, '--whiteout', '/etc/gone']);
  await must('umoci', ['config', '--image', `${layout}:t`, '--tag', 'arm', '--architecture', 'arm64']);
  await writeFile(join(work, 'arch'), 'arm64\n');
  await must('umoci', ['insert', '--image', `${layout}:arm`, join(work, 'arch'), '/etc/arch-marker']);
  await must('umoci', ['new', '--image', `${layout}:empty`]);
  await addIndex();
  for (const tag of ['t', 'arm', 'multi', 'empty']) digests[tag] = await layoutDigest(tag);
  await must('skopeo', ['copy', '--quiet', `oci:${layout}:t`, `oci-archive:${join(work, 'img.tar')}:t`]);
  await must('skopeo', [
    'copy',
    '--quiet',
    `oci:${layout}:t`,
    `docker-archive:${join(work, 'docker.tar')}:test/img:t`,
  ]);
  await must('skopeo', ['copy', '--quiet', `oci:${layout}:t`, `dir:${join(work, 'dirimg')}`]);

  [reg, authReg] = await Promise.all([startRegistry(), startRegistry({ auth: true })]);
  await must('skopeo', [
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    `oci:${layout}:t`,
    `docker://${reg.host}/test/img:t`,
  ]);
  await must('skopeo', [
    'copy',
    '--quiet',
    '--all',
    '--dest-tls-verify=false',
    `oci:${layout}:multi`,
    `docker://${reg.host}/test/img:multi`,
  ]);
  await must('skopeo', [
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    '--dest-creds',
    `${REGISTRY_USER}:${REGISTRY_PASSWORD}`,
    `oci:${layout}:t`,
    `docker://${authReg.host}/private/img:t`,
  ]);
});
afterAll(async () => {
  await Promise.all([reg?.stop(), authReg?.stop()]);
  await tmp.cleanup();
});

interface Result {
  image: string;
  reference: string;
  dir: string;
  digest: string;
  manifestDigest: string;
  arch: string;
  os: string;
  layers: number;
  files: number;
  ran: boolean;
}

/** A fresh, empty parent directory for DIR, to prove nothing else is left in it. */
const parentDir = () => mkdtemp(join(work, 'p-'));

describe('bakery oci-rootfs from a real registry (docker-registry, skopeo, umoci)', () => {
  it('pulls by tag: every layer applied, the whiteout respected, nothing left beside DIR', async () => {
    const parent = await parentDir();
    const dir = join(parent, 'rootfs');
    const r = await bakery(['oci-rootfs', `${reg.host}/test/img:t`, dir, '--no-tls-verify', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as Result;
    expect(res).toMatchObject({
      image: `${reg.host}/test/img:t`,
      reference: `docker://${reg.host}/test/img@${digests.t}`,
      dir,
      digest: digests.t,
      manifestDigest: digests.t,
      arch: 'x86-64',
      os: 'linux',
      layers: 3,
      ran: false,
    });
    expect(await ls(dir)).toEqual(['bin', 'etc', 'ro']);
    expect(await ls(join(dir, 'etc'))).toEqual(['added', 'marker']);
    expect(await readFile(join(dir, 'etc/marker'), 'utf8')).toBe('marker\n');
    expect(await readlink(join(dir, 'bin/sh'))).toBe('busybox');
    expect(res.files).toBe(3 + 8 + 2 + 1); // bin etc ro; busybox and 7 links; added marker; ro/f
    expect(await ls(parent)).toEqual(['rootfs']);
  });

  it('pulls by digest, takes a relative DIR against the working directory and prints it', async () => {
    const parent = await parentDir();
    const r = await bakery(
      ['oci-rootfs', `${reg.host}/test/img@${digests.t}`, 'sub/tree', '--no-tls-verify'],
      { cwd: parent },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${join(parent, 'sub/tree')}\n`);
    expect(await ls(join(parent, 'sub/tree/etc'))).toEqual(['added', 'marker']);
    expect(await ls(join(parent, 'sub'))).toEqual(['tree']);
  });

  it('picks the image for --arch from a multi-architecture index and reports the index digest', async () => {
    const parent = await parentDir();
    const host = await bakery([
      'oci-rootfs',
      `${reg.host}/test/img:multi`,
      join(parent, 'amd'),
      '--no-tls-verify',
      '--json',
    ]);
    expect(host.code, host.stderr).toBe(0);
    expect(JSON.parse(host.stdout)).toMatchObject({
      digest: digests.multi,
      manifestDigest: digests.t,
      arch: 'x86-64',
    });
    const arm = await bakery([
      'oci-rootfs',
      `${reg.host}/test/img:multi`,
      join(parent, 'arm'),
      '--no-tls-verify',
      '--arch',
      'aarch64',
      '--json',
    ]);
    expect(arm.code, arm.stderr).toBe(0);
    expect(JSON.parse(arm.stdout)).toMatchObject({
      digest: digests.multi,
      manifestDigest: digests.arm,
      arch: 'arm64',
      layers: 4,
    });
    expect(await readFile(join(parent, 'arm/etc/arch-marker'), 'utf8')).toBe('arm64\n');
    expect(await ls(join(parent, 'amd/etc'))).toEqual(['added', 'marker']);
  });

  it("runs --run with the image's own /bin/sh inside the tree before it lands in DIR, keeping stdout for data", async () => {
    const parent = await parentDir();
    const dir = join(parent, 'rootfs');
    const cmd =
      'echo to-stdout; cat /etc/marker > /etc/seen && echo "$PATH" > /etc/path && readlink /bin/sh > /etc/shell && test ! -e /etc/gone && touch /tmp/scratch';
    const r = await bakery([
      'oci-rootfs',
      `${reg.host}/test/img:t`,
      dir,
      '--no-tls-verify',
      '--run',
      cmd,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ran: true, dir });
    expect(r.stderr).toContain('to-stdout');
    expect(await readFile(join(dir, 'etc/seen'), 'utf8')).toBe('marker\n');
    expect(await readFile(join(dir, 'etc/shell'), 'utf8')).toBe('busybox\n');
    expect(await readFile(join(dir, 'etc/path'), 'utf8')).toBe(
      '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n',
    );
    // /proc, /dev and /tmp were mount points made for the run: gone again, with what was in them.
    expect(await ls(dir)).toEqual(['bin', 'etc', 'ro']);
    expect(await ls(parent)).toEqual(['rootfs']);
  });

  it('fails with exit 1 when --run fails, and creates no DIR', async () => {
    const parent = await parentDir();
    const r = await bakery([
      'oci-rootfs',
      `${reg.host}/test/img:t`,
      join(parent, 'rootfs'),
      '--no-tls-verify',
      '--run',
      'echo trying >&2; exit 7',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('trying');
    expect(r.stderr).toMatch(
      new RegExp(`the --run command failed inside ${reg.host}/test/img:t \\(exit code 7\\)`),
    );
    expect(await ls(parent)).toEqual([]);
  });

  it('refuses a non-empty DIR (exit 2) naming it and --force, fills an empty one, and --force replaces', async () => {
    const parent = await parentDir();
    const dir = join(parent, 'rootfs');
    await makeTree(dir, { 'old-file': 'old\n' });
    const refused = await bakery(['oci-rootfs', `${reg.host}/test/img:t`, dir, '--no-tls-verify']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`DIR ${dir} already exists and is not empty`);
    expect(refused.stderr).toContain('--force');
    expect(await ls(dir)).toEqual(['old-file']);
    const forced = await bakery(['oci-rootfs', `${reg.host}/test/img:t`, dir, '--no-tls-verify', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await ls(dir)).toEqual(['bin', 'etc', 'ro']);
    expect(await ls(parent)).toEqual(['rootfs']);
    const empty = join(parent, 'empty');
    await mkdir(empty);
    const filled = await bakery(['oci-rootfs', `${reg.host}/test/img:t`, empty, '--no-tls-verify']);
    expect(filled.code, filled.stderr).toBe(0);
    expect(await ls(empty)).toEqual(['bin', 'etc', 'ro']);
  });

  it('names the image when its tag or repository does not exist (exit 1)', async () => {
    const parent = await parentDir();
    for (const image of [`${reg.host}/test/img:nope`, `${reg.host}/test/nothing:t`]) {
      const r = await bakery(['oci-rootfs', image, join(parent, 'rootfs'), '--no-tls-verify']);
      expect(r.code, image).toBe(1);
      expect(r.stderr).toContain(`error: image not found: ${image}`);
      expect(r.stderr).toContain('manifest unknown');
      expect(r.stderr).toMatch(/hint: .*skopeo list-tags/);
    }
    expect(await ls(parent)).toEqual([]);
  });

  it('says when the registry cannot be reached (exit 1) or speaks plain HTTP without --no-tls-verify', async () => {
    const parent = await parentDir();
    const closed = `127.0.0.1:${await freePort()}/test/img:t`;
    const r = await bakery(['oci-rootfs', closed, join(parent, 'rootfs'), '--no-tls-verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: cannot reach the registry of ${closed}`);
    expect(r.stderr).toContain('connection refused');
    const tls = await bakery(['oci-rootfs', `${reg.host}/test/img:t`, join(parent, 'rootfs')]);
    expect(tls.code).toBe(1);
    expect(tls.stderr).toContain('server gave HTTP response to HTTPS client');
    expect(tls.stderr).toMatch(/hint: .*--no-tls-verify/);
    expect(await ls(parent)).toEqual([]);
  });

  it('uses --creds and --authfile for a registry with basic auth, never printing the password', async () => {
    const parent = await parentDir();
    const image = `${authReg.host}/private/img:t`;
    const none = await bakery(['oci-rootfs', image, join(parent, 'a'), '--no-tls-verify']);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain(`the registry refused access to ${image}`);
    expect(none.stderr).toMatch(/hint: pass --creds USER:PASSWORD or --authfile/);

    const ok = await bakery([
      'oci-rootfs',
      image,
      join(parent, 'a'),
      '--no-tls-verify',
      '--creds',
      `${REGISTRY_USER}:${REGISTRY_PASSWORD}`,
      '--debug',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('exec: '); // the debug log shows the skopeo commands...
    expect(ok.stderr).not.toContain(REGISTRY_PASSWORD); // ...without the password
    expect(await ls(join(parent, 'a/etc'))).toEqual(['added', 'marker']);

    const wrong = await bakery([
      'oci-rootfs',
      image,
      join(parent, 'b'),
      '--no-tls-verify',
      '--creds',
      `${REGISTRY_USER}:wrong-password-123`,
      '--debug',
      '--json',
    ]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('OCI_AUTH');
    expect(wrong.stderr).not.toContain('wrong-password-123');

    const authfile = join(work, 'auth.json');
    await writeFile(
      authfile,
      JSON.stringify({
        auths: {
          [authReg.host]: { auth: Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64') },
        },
      }),
    );
    const viaFile = await bakery([
      'oci-rootfs',
      image,
      join(parent, 'c'),
      '--no-tls-verify',
      '--authfile',
      authfile,
    ]);
    expect(viaFile.code, viaFile.stderr).toBe(0);
    expect(await ls(parent)).toEqual(['a', 'c']);

    for (const [args, msg] of [
      [['--creds', 'no-colon'], /--creds must be USER:PASSWORD/],
      [['--authfile', join(work, 'missing.json')], /--authfile .*missing\.json does not exist/],
      [['--creds', 'u:p', '--authfile', authfile], /--creds and --authfile were both given/],
    ] as [string[], RegExp][]) {
      const r = await bakery(['oci-rootfs', image, join(parent, 'd'), '--no-tls-verify', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });
});

describe('bakery oci-rootfs from local images (no registry)', () => {
  it('unpacks oci: layouts, oci-archive:, docker-archive: and dir: images, paths relative to the working directory', async () => {
    const parent = await parentDir();
    const fromLayout = await bakery(['oci-rootfs', 'oci:L:t', join(parent, 'l'), '--json'], { cwd: work });
    expect(fromLayout.code, fromLayout.stderr).toBe(0);
    expect(JSON.parse(fromLayout.stdout)).toMatchObject({
      reference: `oci:${layout}:t`,
      digest: digests.t,
      layers: 3,
    });
    const fromArchive = await bakery([
      'oci-rootfs',
      `oci-archive:${join(work, 'img.tar')}`,
      join(parent, 'a'),
      '--json',
    ]);
    expect(fromArchive.code, fromArchive.stderr).toBe(0);
    expect(JSON.parse(fromArchive.stdout)).toMatchObject({ digest: digests.t, layers: 3 });
    for (const [image, d] of [
      [`docker-archive:${join(work, 'docker.tar')}:test/img:t`, 'd'],
      [`dir:${join(work, 'dirimg')}`, 'i'],
    ]) {
      const r = await bakery(['oci-rootfs', image!, join(parent, d!), '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ layers: 3, arch: 'x86-64' });
    }
    for (const d of ['l', 'a', 'd', 'i'])
      expect(await ls(join(parent, d, 'etc'))).toEqual(['added', 'marker']);
    const empty = await bakery(['oci-rootfs', `oci:${layout}:empty`, join(parent, 'e'), '--json']);
    expect(empty.code, empty.stderr).toBe(0);
    expect(JSON.parse(empty.stdout)).toMatchObject({ layers: 0, files: 0 });
    expect(await ls(parent)).toEqual(['a', 'd', 'e', 'i', 'l']);
  });

  it('refuses an image for another architecture unless --arch says so', async () => {
    const parent = await parentDir();
    const r = await bakery(['oci-rootfs', `oci:${layout}:arm`, join(parent, 'r')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`oci:${layout}:arm is an image for arm64, not x86-64 (this machine)`);
    expect(r.stderr).toContain('hint: pass --arch arm64');
    expect(
      (await bakery(['oci-rootfs', `oci:${layout}:arm`, join(parent, 'r'), '--arch', 'arm64'])).code,
    ).toBe(0);
    const bad = await bakery(['oci-rootfs', `oci:${layout}:t`, join(parent, 's'), '--arch', 's390x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--arch "s390x" is not a supported architecture');
    expect(await ls(parent)).toEqual(['r']);
  });

  it('reports bad references, missing paths, unknown tags and a missing /bin/sh for --run', async () => {
    const parent = await parentDir();
    for (const [image, code, msg] of [
      ['alpine/Bad', 2, /IMAGE "alpine\/Bad": "Bad" is not a valid repository name component/],
      [`oci:${join(work, 'nowhere')}:t`, 2, /nowhere does not exist/],
      [`oci:${layout}:nope`, 1, /image not found: oci:.*:nope: .*no descriptor found for reference/],
      [
        `docker-archive:${join(work, 'img.tar')}`,
        2,
        /docker-archive image docker-archive:.*img\.tar: .*manifest\.json: file does not exist\nhint: give the path of a docker save archive/,
      ],
    ] as [string, number, RegExp][]) {
      const r = await bakery(['oci-rootfs', image, join(parent, 'r')]);
      expect(r.code, image).toBe(code);
      expect(r.stderr).toMatch(msg);
    }
    const noShell = await bakery(['oci-rootfs', `oci:${layout}:empty`, join(parent, 'r'), '--run', 'true']);
    expect(noShell.code).toBe(2);
    expect(noShell.stderr).toContain(
      `--run needs /bin/sh inside the image, and oci:${layout}:empty has none`,
    );
    expect(await ls(parent)).toEqual([]);
  });

  it('names the Debian package of a missing tool (exit 3)', async () => {
    const parent = await parentDir();
    const bin = join(work, 'only-skopeo-umoci');
    await mkdir(bin, { recursive: true });
    for (const t of ['skopeo', 'umoci']) await symlink(`/usr/bin/${t}`, join(bin, t)).catch(() => {});
    for (const [path, extra, tool, pkg] of [
      ['/nonexistent', [], 'skopeo', 'skopeo'],
      [bin, ['--run', 'true'], 'bwrap', 'bubblewrap'],
    ] as [string, string[], string, string][]) {
      const r = await bakery(['oci-rootfs', `oci:${layout}:t`, join(parent, 'r'), ...extra], {
        env: { PATH: path },
      });
      expect(r.code, tool).toBe(3);
      expect(r.stderr).toContain(`${tool} was not found on PATH`);
      expect(r.stderr).toContain(`apt-get install ${pkg}`);
    }
    expect(await ls(parent)).toEqual([]);
  });

  it('works without root: rootless unpack, --run as uid 0 of a user namespace, read-only dirs cleaned up', async (ctx) => {
    // Run the bin as nobody (setpriv) when we are root; the checkout must be readable by nobody.
    if (process.getuid?.() !== 0) {
      ctx.skip('runs the bin as nobody through setpriv, which needs root');
      return;
    }
    const shared = await mkdtemp(join(tmpdir(), 'bakery-oci-nobody-'));
    const asNobody = ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'env', `HOME=${shared}`];
    try {
      await exec('chmod', ['1777', shared]);
      if ((await exec('setpriv', [...asNobody, 'test', '-r', BIN]).catch(() => ({ code: 1 }))).code !== 0) {
        ctx.skip(`nobody cannot read ${BIN}: put the checkout where every user can read it`);
        return;
      }
      await exec('chmod', ['-R', 'a+rX', layout]);
      await exec('chmod', ['a+x', work]);
      const dir = join(shared, 'r');
      const cmd = 'id -u > /etc/uid; echo x > /ro/new || true';
      const ok = await exec('setpriv', [
        ...asNobody,
        process.execPath,
        BIN,
        'oci-rootfs',
        `oci:${layout}:t`,
        dir,
        '--run',
        cmd,
      ]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(await readFile(join(dir, 'etc/uid'), 'utf8')).toBe('0\n');
      expect((await stat(join(dir, 'ro'))).mode & 0o777).toBe(0o555); // kept as the image has it
      expect((await stat(join(dir, 'etc/marker'))).uid).toBe(65534); // rootless: files are the user's
      // A failure after unpacking leaves nothing, even the file inside the read-only ro/.
      const failed = await exec('setpriv', [
        ...asNobody,
        process.execPath,
        BIN,
        'oci-rootfs',
        `oci:${layout}:t`,
        join(shared, 'f'),
        '--run',
        'exit 4',
      ]);
      expect(failed.code).toBe(1);
      // --force moves the old tree (with its read-only ro/) aside and deletes it.
      const forced = await exec('setpriv', [
        ...asNobody,
        process.execPath,
        BIN,
        'oci-rootfs',
        `oci:${layout}:t`,
        dir,
        '--force',
      ]);
      expect(forced.code, forced.stderr).toBe(0);
      expect(await ls(join(dir, 'etc'))).toEqual(['added', 'marker']);
      expect((await ls(shared)).filter((n) => n !== '.local')).toEqual(['r']);
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });

  it('removes its temp directory when interrupted (SIGINT, exit 130)', async () => {
    const parent = await parentDir();
    const p = spawn(
      process.execPath,
      [BIN, 'oci-rootfs', `oci:${layout}:t`, join(parent, 'r'), '--run', 'touch /started; exec sleep 60'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
    // Wait until the command runs inside the tree: the marker appears in the scratch dir.
    for (;;) {
      const scratch = (await ls(parent)).find((n) => n.startsWith('.bakery-oci-rootfs-'));
      if (scratch && (await ls(join(parent, scratch, 'rootfs'))).includes('started')) break;
      if (p.exitCode !== null) throw new Error(`exited early: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    p.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(await ls(parent)).toEqual([]);
  });
});
