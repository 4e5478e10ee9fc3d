// plume pre-release and release end to end: the build in a file:// source signed by the real gpg;
// AWS through ore's layer against the fake EC2/EBS servers of @mantle/test-utils (the real SDK
// clients, endpoint overrides) with s3rver as the import bucket; Azure page blobs in Azurite;
// public copies in s3rver, Azurite and a file:// store. Faults: a real SIGKILL of the plume
// process after every step, then --resume; a bad signature; a version.txt mismatch.
// Needs: pnpm --filter @mantle/plume... build (the kill tests run the built bin)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertImage } from '@mantle/ore';
import { startFakeAws, type FakeAws } from '@mantle/test-utils/fake-aws';
import { detachSign, removeGpgKey, type GpgKey } from '@mantle/test-utils/gpg';
import { makeBuild, makeReleaseWorkspace } from './helpers/build-tree.js';
import { PLUME_BIN as BIN, runPlume, spawnPlume } from './helpers/run.js';
import { AZURITE_ACCOUNT, startStores, type Stores } from './helpers/stores.js';

const MIB = 1024 * 1024;
/** the account the spec lets launch (and copy) the images before they are public */
const TESTER = '111122223333';

let dir: string;
let key: GpgKey;
let stores: Stores;
let aws: FakeAws;
let env: NodeJS.ProcessEnv;
let specFile: string;
let artifacts: string; // a signed build, copied per version

function objectExists(bucket: string, k: string): Promise<boolean> {
  return new Promise((resolve) => {
    const u = new URL(`${stores.s3.endpoint}/${bucket}/${k}`);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'HEAD' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** An 8 MiB raw disk (MBR signature, some data, holes). */
async function makeDisk(path: string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    const head = Buffer.alloc(MIB);
    randomBytes(4096).copy(head, 4096);
    head[510] = 0x55;
    head[511] = 0xaa;
    await fh.write(head, 0, MIB, 0);
    await fh.write(randomBytes(64 * 1024), 0, 64 * 1024, 5 * MIB);
    await fh.truncate(8 * MIB);
  } finally {
    await fh.close();
  }
}

/** The build of `version` in the source tree (file store): artifacts + signatures + version.txt. */
const stageBuild = (version: string, opts: { versionTxt?: string; arch?: string } = {}) =>
  makeBuild(join(dir, 'src', opts.arch ?? 'amd64', version), artifacts, opts.versionTxt ?? version);

beforeAll(async () => {
  ({ dir, key, artifacts } = await makeReleaseWorkspace('plume-release-'));
  const raw = join(dir, 'disk.bin');
  await makeDisk(raw);
  await convertImage({
    input: raw,
    format: 'vhd',
    out: join(artifacts, 'flatcar_production_azure_image.vhd'),
  });
  await cp(raw, join(artifacts, 'flatcar_production_ami_image.bin'));
  execFileSync('bzip2', [
    join(artifacts, 'flatcar_production_ami_image.bin'),
    join(artifacts, 'flatcar_production_azure_image.vhd'),
  ]);
  for (const f of ['flatcar_production_ami_image.bin.bz2', 'flatcar_production_azure_image.vhd.bz2'])
    await detachSign(key, join(artifacts, f), { armor: false });

  stores = await startStores({ buckets: ['import-bucket', 'pub'], containers: ['vhds', 'pub'] });
  aws = await startFakeAws({ objectExists, importPolls: 1, regions: ['us-east-1', 'us-west-2'] });
  const home = join(dir, 'home');
  await mkdir(join(home, '.aws'), { recursive: true });
  await writeFile(
    join(home, '.aws', 'credentials'),
    '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n',
  );
  env = {
    ...stores.env,
    HOME: home,
    XDG_STATE_HOME: join(dir, 'state'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    AWS_ENDPOINT_URL_EC2: aws.ec2Endpoint,
    AWS_ENDPOINT_URL_EBS: aws.ebsEndpoint,
    AWS_ENDPOINT_URL_S3: stores.s3.endpoint,
    AWS_REGION: 'us-east-1',
  };
  specFile = join(dir, 'spec.yaml');
  // the source and cloud destinations both channels share
  const clouds = `    source: ${pathToFileURL(join(dir, 'src')).href}/{arch}/{version}/
    verifyKey: key.asc
    aws:
      partitions:
        - name: AWS
          bucket: import-bucket
          bucketRegion: us-east-1
          regions: [us-east-1, us-west-2]
          launchPermissions: ['${TESTER}']
    azure:
      blobs: azure://${AZURITE_ACCOUNT}/vhds
`;
  await writeFile(
    specFile,
    `channels:
  test:
    boards: [amd64-usr]
${clouds}    storage:
      - url: s3://pub/{channel}/
        paths: ['{board}/{version}', '{board}/current']
      - url: azure://${AZURITE_ACCOUNT}/pub/
        paths: ['{board}/{version}']
      - url: ${pathToFileURL(join(dir, 'pubfs')).href}/
        paths: ['{board}/{version}', '{board}/current']
  prunetest:
    boards: [amd64-usr, arm64-usr]
${clouds}    storage:
      - url: ${pathToFileURL(join(dir, 'prunepub')).href}/
        paths: ['{board}/{version}', '{board}/current']
`,
  );
}, 300_000);

afterAll(async () => {
  await aws?.close();
  await stores?.close();
  await removeGpgKey(key);
  await rm(dir, { recursive: true, force: true });
});

const args = (cmd: string, version: string, ...more: string[]) => [
  cmd,
  '--spec',
  specFile,
  '-C',
  'test',
  '-B',
  'amd64-usr',
  '-V',
  version,
  ...(cmd === 'status' ? [] : ['--poll-interval', '0.05']),
  ...stores.flags,
  ...more,
];
const plume = (cmd: string, version: string, ...more: string[]) =>
  runPlume(args(cmd, version, ...more), { env });

/** The built bin as its own process (so a SIGKILL kills plume, not the test). */
const plumeProcess = (cmd: string, version: string, extraEnv: NodeJS.ProcessEnv, ...more: string[]) =>
  spawnPlume(args(cmd, version, ...more), { ...env, ...extraEnv });

const amiName = (v: string) => `Flatcar-test-${v}-hvm`;
const imagesNamed = (v: string) =>
  aws.images.filter((i) => i.name === amiName(v) && i.state !== 'deregistered');
const snapshotsNamed = (v: string) => aws.snapshots.filter((s) => s.tags.get('Name') === `Flatcar-test-${v}`);
const totalCalls = () => [...aws.calls.values()].reduce((a, b) => a + b, 0);

/** No duplicates: one AMI per region, one snapshot, one Azure blob, no import object left. */
async function expectExactlyOnce(v: string, published: boolean): Promise<void> {
  const imgs = imagesNamed(v);
  expect(imgs.map((i) => i.region).sort()).toEqual(['us-east-1', 'us-west-2']);
  expect(snapshotsNamed(v).filter((s) => s.region === 'us-east-1')).toHaveLength(1);
  for (const i of imgs) {
    expect(i.launchPermissions.some((p) => p.group === 'all')).toBe(published);
    // released: the image's snapshot in its region may be used by everyone too
    const snap = aws.snapshots.find((s) => s.id === i.snapshotId && s.region === i.region);
    expect(snap).toBeDefined();
    expect(snap!.createVolumePermissions?.some((p) => p.group === 'all') ?? false).toBe(published);
    // the spec's launchPermissions accounts, in every region, already before the release: launch
    // the AMI and make volumes of (so copy) its snapshot
    expect(i.launchPermissions.filter((p) => p.userId === TESTER)).toHaveLength(1);
    expect(snap!.createVolumePermissions?.filter((p) => p.userId === TESTER)).toHaveLength(1);
  }
  expect(await objectExists('import-bucket', `amd64-usr/${v}/flatcar_production_ami_image.bin`)).toBe(false);
  const vhds = await stores.open(`azure://${AZURITE_ACCOUNT}/vhds/`);
  try {
    const blobs: string[] = [];
    for await (const o of vhds.list('', { recursive: true })) blobs.push(o.key);
    expect(blobs.filter((b) => b.includes(`-${v}-`))).toEqual([`flatcar-linux-${v}-test-amd64.vhd`]);
  } finally {
    await vhds.close();
  }
}

describe('plume pre-release and release', () => {
  it('pre-release uploads privately, release publishes; reruns change nothing', async () => {
    const v = '4081.2.0';
    await stageBuild(v);
    const pre = await plume('pre-release', v, '--json');
    expect(pre.stderr).not.toMatch(/^error/m);
    expect(pre.code).toBe(0);
    const pr = JSON.parse(pre.stdout) as {
      aws: { partitions: { amis: Record<string, string> }[]; lists: string[] };
    };
    expect(Object.keys(pr.aws.partitions[0]!.amis).sort()).toEqual(['us-east-1', 'us-west-2']);
    await expectExactlyOnce(v, false);
    // the AMI lists beside the source, as Flatcar's plume writes them
    const src = join(dir, 'src/amd64', v);
    const all = JSON.parse(await readFile(join(src, 'flatcar_production_ami_all.json'), 'utf8')) as {
      amis: { name: string; hvm: string }[];
    };
    expect(all.amis.map((a) => a.name)).toEqual(['us-east-1', 'us-west-2']);
    expect(await readFile(join(src, 'flatcar_production_ami_hvm.txt'), 'utf8')).toBe(
      `us-east-1=${all.amis[0]!.hvm}|us-west-2=${all.amis[1]!.hvm}\n`,
    );
    expect(await readFile(join(src, 'flatcar_production_ami_us-west-2.txt'), 'utf8')).toBe(
      `${all.amis[1]!.hvm}\n`,
    );

    const rel = await plume('release', v, '--json');
    expect(rel.stderr).not.toMatch(/^error/m);
    expect(rel.code).toBe(0);
    await expectExactlyOnce(v, true);
    // the public copies and their pages
    for (const d of [join(dir, 'pubfs/amd64-usr', v), join(dir, 'pubfs/amd64-usr/current')]) {
      const names = await readdir(d);
      expect(names).toContain('flatcar_production_ami_image.bin.bz2');
      expect(names).toContain('flatcar_production_ami_image.bin.bz2.sig');
      expect(names).toContain('flatcar_production_ami_all.json');
      expect(names).toContain('index.html');
    }
    expect(await readFile(join(dir, 'pubfs/index.html'), 'utf8')).toContain('href="amd64-usr/index.html"');
    const s3pub = await stores.open('s3://pub/test/');
    expect(await s3pub.stat(`amd64-usr/${v}/version.txt`)).toBeDefined();
    expect((await s3pub.stat('amd64-usr/index.html'))?.cacheControl).toBe('public, max-age=60');
    await s3pub.close();

    // a finished run changes nothing: no cloud call, no upload
    const calls = totalCalls();
    const puts = stores.s3.events.length;
    for (const cmd of ['pre-release', 'release']) {
      const again = await plume(cmd, v, '--json');
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ alreadyDone: true });
    }
    expect(totalCalls()).toBe(calls);
    expect(stores.s3.events.length).toBe(puts);

    const st = await plume('status', v, '--json');
    expect(st.code).toBe(0);
    const status = JSON.parse(st.stdout) as { published: { aws: { region: string }[] } };
    expect(status).toMatchObject({
      preRelease: { state: 'finished' },
      release: { state: 'finished' },
    });
    // per region: public, and the spec's account kept beside everyone, on the AMI and its snapshot
    const perm = { public: true, users: [TESTER] };
    expect([...status.published.aws].sort((a, b) => (a.region < b.region ? -1 : 1))).toEqual([
      {
        partition: 'AWS',
        region: 'us-east-1',
        imageId: all.amis[0]!.hvm,
        state: 'public',
        launch: perm,
        createVolume: perm,
      },
      {
        partition: 'AWS',
        region: 'us-west-2',
        imageId: all.amis[1]!.hvm,
        state: 'public',
        launch: perm,
        createVolume: perm,
      },
    ]);
    const text = await plume('status', v);
    expect(text.stdout).toMatch(
      /AWS AWS us-west-2 ami-\S+ public; launch: everyone, 111122223333; volumes: everyone, 111122223333/,
    );
  });

  it('a release replaces `current` exactly: a file the new build lacks is deleted there', async () => {
    const v = '4081.3.0';
    await stageBuild(v);
    await rm(join(dir, 'src/amd64', v, 'flatcar_production_azure_image.vhd.bz2.sig'));
    await writeFile(
      join(dir, 'src/amd64', v, 'flatcar_production_azure_image.vhd.bz2.sig'),
      await readFile(join(artifacts, 'flatcar_production_azure_image.vhd.bz2.sig')),
    );
    expect((await plume('pre-release', v)).code).toBe(0);
    await rm(join(dir, 'src/amd64', v, 'flatcar_production_ami_hvm.txt'));
    expect((await plume('release', v)).code).toBe(0);
    expect(existsSync(join(dir, 'pubfs/amd64-usr/current/flatcar_production_ami_hvm.txt'))).toBe(false);
    expect(existsSync(join(dir, 'pubfs/amd64-usr/4081.2.0/flatcar_production_ami_hvm.txt'))).toBe(true);
  });
});

describe('plume killed after every step, then resumed', () => {
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm --filter @mantle/plume... build`);
  });
  const PRE_STEPS = 5; // version-txt, aws upload, aws replicate, aws lists, azure upload
  const REL_STEPS = 8; // version-txt, 2 regions public, azure, artifacts, 3 stores

  for (let n = 1; n <= PRE_STEPS; n++)
    it(`pre-release killed after step ${n}: --resume completes, nothing twice`, async () => {
      const v = `5000.${n}.0`;
      await stageBuild(v);
      const killed = await plumeProcess('pre-release', v, { PLUME_KILL_AFTER_STEP: String(n) });
      expect(killed.signal).toBe('SIGKILL');
      const plain = await plumeProcess('pre-release', v, {});
      expect(plain.code).toBe(2);
      expect(plain.stderr).toMatch(/did not finish/);
      const resumed = await plumeProcess('pre-release', v, {}, '--resume');
      expect(resumed.stderr).not.toMatch(/^error/m);
      expect(resumed.code).toBe(0);
      await expectExactlyOnce(v, false);
    });

  for (let n = 1; n <= REL_STEPS; n++)
    it(`release killed after step ${n}: --resume completes, nothing twice`, async () => {
      const v = `6000.${n}.0`;
      await stageBuild(v);
      expect((await plume('pre-release', v)).code).toBe(0);
      const killed = await plumeProcess('release', v, {
        PLUME_KILL_AFTER_STEP: `${n}${n % 2 === 0 ? ':recorded' : ''}`,
      });
      expect(killed.signal).toBe('SIGKILL');
      const resumed = await plumeProcess('release', v, {}, '--resume');
      expect(resumed.stderr).not.toMatch(/^error/m);
      expect(resumed.code).toBe(0);
      await expectExactlyOnce(v, true);
      const names = await readdir(join(dir, 'pubfs/amd64-usr', v));
      expect(names.filter((x) => x.includes('.mantle-tmp-'))).toEqual([]);
      expect(names).toContain('index.html');
    });
});

describe('plume refuses a bad build before anything is published', () => {
  it('a bad signature: exit 1, no image, no snapshot, no blob', async () => {
    const v = '7000.1.0';
    await stageBuild(v);
    const f = join(dir, 'src/amd64', v, 'flatcar_production_ami_image.bin.bz2');
    const b = await readFile(f);
    b.writeUInt8(b.readUInt8(100) ^ 0xff, 100);
    await writeFile(f, b);
    const r = await plume('pre-release', v);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/BAD signature/);
    expect(imagesNamed(v)).toEqual([]);
    expect(snapshotsNamed(v)).toEqual([]);
    expect(
      existsSync(join(dir, 'cache/mantle/plume/test/amd64-usr', v, 'flatcar_production_ami_image.bin.bz2')),
    ).toBe(false);
  });

  it('a version.txt that names another version: exit 2 naming both', async () => {
    const v = '7000.2.0';
    await stageBuild(v, { versionTxt: '7000.1.9' });
    const r = await plume('pre-release', v);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/says FLATCAR_VERSION=7000\.1\.9, not 7000\.2\.0/);
    expect(imagesNamed(v)).toEqual([]);
  });

  it('a destination that fails: exit non-zero, the public stores get nothing under a final name', async () => {
    const v = '7000.3.0';
    await stageBuild(v);
    expect((await plume('pre-release', v)).code).toBe(0);
    const bad = specFile.replace(/\.yaml$/, '-bad.yaml');
    await writeFile(
      bad,
      (await readFile(specFile, 'utf8')).replace('s3://pub/{channel}/', 's3://no-such-bucket/'),
    );
    const r = await runPlume(
      [
        'release',
        '--spec',
        bad,
        '-C',
        'test',
        '-B',
        'amd64-usr',
        '-V',
        v,
        ...stores.flags,
        '--poll-interval',
        '0.05',
      ],
      { env },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no-such-bucket/);
  });
});

describe('plume prune', () => {
  const live = (name: string) => aws.images.filter((i) => i.name === name && i.state !== 'deregistered');
  const blobs = async (): Promise<string[]> => {
    const vhds = await stores.open(`azure://${AZURITE_ACCOUNT}/vhds/`);
    try {
      const out: string[] = [];
      for await (const o of vhds.list('', { recursive: true })) out.push(o.key);
      return out.filter((b) => b.includes('-prunetest-'));
    } finally {
      await vhds.close();
    }
  };
  const prune = (...more: string[]) =>
    runPlume(['prune', '--spec', specFile, '-C', 'prunetest', ...stores.flags, ...more], { env });

  it('keeps the newest N per board (natural version order), a dry run unless --yes', async () => {
    const builds: [string, string][] = [
      ['amd64', '1.1.0'],
      ['amd64', '1.10.0'],
      ['amd64', '1.9.0'],
      ['arm64', '1.0.0'],
    ];
    for (const [arch, v] of builds) {
      await stageBuild(v, { arch });
      const r = await runPlume(
        ['pre-release', '--spec', specFile, '-C', 'prunetest', '-B', `${arch}-usr`, '-V', v].concat(
          ['--poll-interval', '0.05'],
          stores.flags,
        ),
        { env },
      );
      expect(r.stderr).not.toMatch(/^error/m);
      expect(r.code).toBe(0);
    }
    expect(live('Flatcar-prunetest-1.0.0-arm64-hvm')).toHaveLength(2);
    // the public store as earlier releases left it: a directory per version, current, index pages
    const pub = join(dir, 'prunepub');
    for (const d of [
      'amd64-usr/1.1.0',
      'amd64-usr/1.9.0',
      'amd64-usr/1.10.0',
      'amd64-usr/current',
      'arm64-usr/1.0.0',
    ]) {
      await mkdir(join(pub, d), { recursive: true });
      await writeFile(join(pub, d, 'version.txt'), `${d}\n`);
    }
    const idx = await runPlume(['index', pathToFileURL(pub).href + '/'], { env });
    expect(idx.code, idx.stderr).toBe(0);
    const before = (await blobs()).sort();
    expect(before).toHaveLength(4);

    const dry = await prune('--keep', '1', '--json');
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      kept: Record<string, string[]>;
      targets: { board: string; version: string; kind: string; id: string }[];
    };
    expect(plan.dryRun).toBe(true);
    // 1.10.0 is newer than 1.9.0; the arm64 image is arm64's, not an amd64 "1.0.0-arm64"
    expect(plan.kept).toEqual({ 'amd64-usr': ['1.10.0'], 'arm64-usr': ['1.0.0'] });
    const planned = plan.targets.map((t) => `${t.board} ${t.version} ${t.kind}`);
    expect(planned.filter((t) => t.endsWith('aws-image'))).toEqual([
      'amd64-usr 1.1.0 aws-image',
      'amd64-usr 1.1.0 aws-image',
      'amd64-usr 1.9.0 aws-image',
      'amd64-usr 1.9.0 aws-image',
    ]);
    expect(planned.filter((t) => t.endsWith('storage'))).toEqual([
      'amd64-usr 1.1.0 storage',
      'amd64-usr 1.9.0 storage',
    ]);
    expect(plan.targets.filter((t) => t.kind === 'storage').map((t) => t.id)).toEqual([
      `${pathToFileURL(pub).href}/amd64-usr/1.1.0/`,
      `${pathToFileURL(pub).href}/amd64-usr/1.9.0/`,
    ]);
    expect(planned.filter((t) => t.endsWith('azure-blob'))).toEqual([
      'amd64-usr 1.1.0 azure-blob',
      'amd64-usr 1.9.0 azure-blob',
    ]);
    // nothing deleted by the dry run
    expect(live('Flatcar-prunetest-1.1.0-hvm')).toHaveLength(2);
    expect((await blobs()).sort()).toEqual(before);

    const snaps = live('Flatcar-prunetest-1.1.0-hvm').map((i) => i.snapshotId);
    const done = await prune('--keep', '1', '--yes');
    expect(done.stderr).not.toMatch(/^error/m);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^deleted amd64-usr 1\.9\.0 aws AWS us-west-2 ami-/m);
    for (const v of ['1.1.0', '1.9.0']) expect(live(`Flatcar-prunetest-${v}-hvm`)).toEqual([]);
    expect(aws.snapshots.filter((x) => snaps.includes(x.id))).toEqual([]);
    expect(live('Flatcar-prunetest-1.10.0-hvm')).toHaveLength(2);
    expect(live('Flatcar-prunetest-1.0.0-arm64-hvm')).toHaveLength(2);
    expect((await blobs()).sort()).toEqual([
      'flatcar-linux-1.0.0-prunetest-arm64.vhd',
      'flatcar-linux-1.10.0-prunetest-amd64.vhd',
    ]);
    // the pruned version directories are gone with their pages; the parent's page links only what is left
    expect((await readdir(join(pub, 'amd64-usr'))).sort()).toEqual(['1.10.0', 'current', 'index.html']);
    const page = await readFile(join(pub, 'amd64-usr', 'index.html'), 'utf8');
    expect(page).toContain('1.10.0/');
    expect(page).not.toMatch(/1\.1\.0\/|1\.9\.0\//);
    expect(await readdir(join(pub, 'arm64-usr', '1.0.0'))).toContain('version.txt');
    // the other channel's releases are not this channel's
    expect(
      aws.images.filter((i) => i.name.startsWith('Flatcar-test-') && i.state === 'deregistered'),
    ).toEqual([]);

    const again = await prune('--keep', '1', '--yes', '--json');
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { targets: unknown[] }).targets).toEqual([]);
  });

  it('--keep 0 is refused (exit 2 naming the flag)', async () => {
    const r = await prune('--keep', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--keep 0/);
  });
});
