// Integration: `ore aws` (the built bin) with the real AWS SDK clients pointed (AWS_ENDPOINT_URL_*)
// at local servers: the EC2 query API (XML), IAM (XML) and EBS direct (REST JSON) speaking fakes
// of @mantle/test-utils/fake-aws that keep state, and s3rver (a real S3 API server) for --import.
// The default profile has s3rver's well-known keys (the fakes take any).
// Needs: pnpm --filter @mantle/core --filter @mantle/ore build
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAws, type FakeAws } from '@mantle/test-utils/fake-aws';
import { startS3rver, type S3rverHandle } from '@mantle/test-utils/s3rver';
import { jsonError, ORE_BIN, requireOreBuild, runOre } from './helpers/ore-bin.js';

let dir: string;
let home: string;
let aws: FakeAws;
let s3: S3rverHandle;
let env: NodeJS.ProcessEnv;
const MIB = 1024 * 1024;
const DISK_SIZE = 64 * MIB;

function ore(args: string[], extraEnv: NodeJS.ProcessEnv = {}): ReturnType<typeof runOre> {
  return runOre(dir, ['aws', ...args], { env: { ...env, ...extraEnv } });
}

/** `ore aws upload --file F --name N --ami-name A ...extra` */
function upload(file: string, name: string, ami: string, extra: string[] = []): ReturnType<typeof runOre> {
  return ore(['upload', '--file', file, '--name', name, '--ami-name', ami, ...extra]);
}

function calls(action: string): number {
  return aws.calls.get(action) ?? 0;
}

/** Does s3rver hold this object? (a HEAD, as the import service would read it) */
function objectExists(bucket: string, key: string): Promise<boolean> {
  return new Promise((resolve) => {
    const u = new URL(`${s3.endpoint}/${bucket}/${key}`);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'HEAD' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function makeDisk(name: string): Promise<Buffer> {
  const disk = Buffer.alloc(DISK_SIZE);
  // data in 5 of the 128 EBS blocks (one of them straddling a block boundary)
  for (const at of [0, 3 * MIB, 20 * MIB + 400 * 1024, 40 * MIB]) randomBytes(200 * 1024).copy(disk, at);
  // an MBR boot signature: a disk image, not random bytes
  disk.fill(0, 446, 510);
  disk[510] = 0x55;
  disk[511] = 0xaa;
  const fh = await open(join(dir, name), 'w');
  try {
    // holes where the disk is zero, as images are
    for (let off = 0; off < DISK_SIZE; off += MIB) {
      const chunk = disk.subarray(off, off + MIB);
      if (chunk.some((b) => b !== 0)) await fh.write(chunk, 0, MIB, off);
    }
    await fh.truncate(DISK_SIZE);
  } finally {
    await fh.close();
  }
  return disk;
}

beforeAll(async () => {
  await requireOreBuild();
  dir = await mkdtemp(join(tmpdir(), 'mantle-ore-aws-'));
  home = join(dir, 'home');
  await mkdir(join(home, '.aws'), { recursive: true });
  await writeFile(
    join(home, '.aws', 'credentials'),
    '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = othersecret\n',
    { mode: 0o600 },
  );
  s3 = await startS3rver(['mantle-bucket']);
  aws = await startFakeAws({ objectExists, importPolls: 2 });
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  env = {
    ...clean,
    HOME: home,
    USER: 'tester',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_EC2: aws.ec2Endpoint,
    AWS_ENDPOINT_URL_EBS: aws.ebsEndpoint,
    AWS_ENDPOINT_URL_IAM: aws.iamEndpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
  };
});

afterAll(async () => {
  await aws?.close();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ore aws upload against local EC2/EBS-direct protocol servers', () => {
  let disk: Buffer;
  let first: { HVM: string; SnapshotID: string };

  it('EBS direct: only the non-zero 512 KiB blocks are sent; the snapshot holds the disk; AMI registered as mantle does', async () => {
    disk = await makeDisk('disk.raw');
    const res = await upload('disk.raw', 'snap-one', 'flatcar-one');
    expect(res.exitCode, res.stderr).toBe(0);
    // mantle's output: one JSON line
    first = JSON.parse(res.stdout.trim()) as { HVM: string; SnapshotID: string };
    expect(Object.keys(first)).toEqual(['HVM', 'SnapshotID', 'S3Object']);
    expect(calls('StartSnapshot')).toBe(1);
    expect(calls('PutSnapshotBlock')).toBe(5);
    expect(calls('CompleteSnapshot')).toBe(1);
    expect(aws.snapshotBytes(first.SnapshotID, DISK_SIZE).equals(disk)).toBe(true);
    const img = aws.images.find((i) => i.id === first.HVM)!;
    expect(img).toMatchObject({
      name: 'flatcar-one-hvm',
      enaSupport: true,
      sriovNetSupport: 'simple',
      bootMode: 'uefi-preferred',
      snapshotId: first.SnapshotID,
      volumeSize: 16,
    });
    expect(img.tags.get('CreatedBy')).toBe('mantle');
    const snap = aws.snapshots.find((s) => s.id === first.SnapshotID)!;
    expect(Object.fromEntries(snap.tags)).toMatchObject({ Name: 'snap-one', CreatedBy: 'mantle' });
  });

  it('a second run uploads nothing and returns the same image', async () => {
    const before = {
      start: calls('StartSnapshot'),
      put: calls('PutSnapshotBlock'),
      reg: calls('RegisterImage'),
    };
    const res = await upload('disk.raw', 'snap-one', 'flatcar-one', ['--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      HVM: first.HVM,
      SnapshotID: first.SnapshotID,
      reused: { image: true },
    });
    expect({
      start: calls('StartSnapshot'),
      put: calls('PutSnapshotBlock'),
      reg: calls('RegisterImage'),
    }).toEqual(before);
    expect(aws.images.filter((i) => i.name === 'flatcar-one-hvm')).toHaveLength(1);
  });

  it('killed during the upload and rerun: completes with one snapshot, the killed run picked up', async () => {
    await makeDisk('disk2.raw');
    const child = spawn(
      process.execPath,
      [ORE_BIN, 'aws', 'upload', '--file', 'disk2.raw', '--name', 'snap-two', '--ami-name', 'flatcar-two'],
      {
        cwd: dir,
        env,
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((r) =>
      child.once('exit', (code, signal) => r(signal ? -1 : code)),
    );
    aws.onBlock = (): void => {
      if (calls('PutSnapshotBlock') >= 7) child.kill('SIGKILL'); // 2 blocks into this upload
    };
    expect(await exited).toBe(-1);
    aws.onBlock = undefined;
    expect(aws.snapshots.filter((s) => s.tags.get('Name') === 'snap-two').map((s) => s.state)).toEqual([
      'pending',
    ]);
    const res = await upload('disk2.raw', 'snap-two', 'flatcar-two', ['--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const snaps = aws.snapshots.filter((s) => s.tags.get('Name') === 'snap-two');
    expect(snaps).toHaveLength(1);
    expect(snaps[0]!.state).toBe('completed');
    const disk2 = await readFile(join(dir, 'disk2.raw'));
    expect(aws.snapshotBytes(snaps[0]!.id, DISK_SIZE).equals(disk2)).toBe(true);
  });

  it('throttling (RequestLimitExceeded, 429) is retried with backoff', async () => {
    aws.throttle.set('RegisterImage', 2);
    aws.throttle.set('PutSnapshotBlock', 3);
    aws.throttle.set('DescribeImages', 1);
    await makeDisk('disk3.raw');
    const res = await upload('disk3.raw', 'snap-three', 'flatcar-three', ['--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(aws.throttle.get('RegisterImage')).toBe(0);
    expect(aws.throttle.get('PutSnapshotBlock')).toBe(0);
    expect(aws.images.filter((i) => i.name === 'flatcar-three-hvm')).toHaveLength(1);
  });

  it('--import: S3 multipart to s3rver, ImportSnapshot polled, the object deleted afterwards', async () => {
    const res = await ore([
      'upload',
      '--import',
      '--bucket',
      's3://mantle-bucket/imports/',
      '--file',
      'disk.raw',
      '--name',
      'snap-import',
      '--ami-name',
      'flatcar-import',
      '--poll-interval',
      '50ms',
      '--json',
    ]);
    expect(res.exitCode, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout) as { HVM: string; SnapshotID: string; S3Object: string; via: string };
    expect(r).toMatchObject({ S3Object: 's3://mantle-bucket/imports/disk.raw', via: 'import' });
    expect(s3.events.map((e) => `${e.name} ${e.key}`)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ObjectCreated:.* imports\/disk\.raw$/),
        'ObjectRemoved:Delete imports/disk.raw',
      ]),
    );
    expect(await objectExists('mantle-bucket', 'imports/disk.raw')).toBe(false);
    const task = aws.importTasks.find((t) => t.description === 'snap-import')!;
    expect(task).toMatchObject({
      status: 'completed',
      bucket: 'mantle-bucket',
      key: 'imports/disk.raw',
      format: 'RAW',
    });
    expect(aws.images.find((i) => i.id === r.HVM)?.snapshotId).toBe(task.snapshotId);
  });

  it('--dry-run prints the calls and touches nothing', async () => {
    const before = new Map(aws.calls);
    const res = await ore([
      'upload',
      '--dry-run',
      '--file',
      'disk.raw',
      '--name',
      'snap-dry',
      '--ami-name',
      'flatcar-dry',
      '--json',
    ]);
    expect(res.exitCode, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout) as { dryRun: { service: string; operation: string }[] };
    const ops = r.dryRun.map((c) => `${c.service} ${c.operation}`);
    expect(ops).toEqual(
      expect.arrayContaining([
        'EBS StartSnapshot',
        'EBS PutSnapshotBlock',
        'EBS CompleteSnapshot',
        'EC2 RegisterImage',
      ]),
    );
    expect(res.stderr).toMatch(/dry run: EC2 RegisterImage .*"Name":"flatcar-dry-hvm"/);
    expect(aws.calls).toEqual(before);
  });
});

describe('ore aws: bad inputs', () => {
  it('an image name EC2 refuses is rejected before any upload', async () => {
    const before = calls('StartSnapshot');
    const res = await upload('disk.raw', 'x', 'Flatcar+1.2.3', ['--json']);
    expect(res.exitCode).toBe(2);
    expect(jsonError(res.stderr)).toMatchObject({ code: 'CLOUD_BAD_NAME' });
    expect(jsonError(res.stderr).message).toMatch(/--ami-name "Flatcar\+1\.2\.3-hvm"/);
    expect(calls('StartSnapshot')).toBe(before);
  });

  it('rejected credentials: exit 3 naming the profile', async () => {
    aws.rejectAuth = true;
    try {
      const res = await ore(['list-images', '--aws-profile', 'other', '--json']);
      expect(res.exitCode).toBe(3);
      expect(jsonError(res.stderr).code).toBe('AWS_AUTH');
      expect(jsonError(res.stderr).message).toMatch(/profile "other"/);
    } finally {
      aws.rejectAuth = false;
    }
  });

  it('missing credentials, an unknown or malformed region, a bucket that does not exist', async () => {
    const noCreds = await ore(['list-images', '--json'], { HOME: join(dir, 'empty-home') });
    expect(noCreds.exitCode).toBe(3);
    expect(jsonError(noCreds.stderr).code).toBe('PROFILE_NO_CREDENTIALS');
    const unknown = await upload('disk.raw', 'r', 'rr', ['--region', 'xx-nowhere-1', '--json']);
    expect(unknown.exitCode).toBe(2);
    expect(jsonError(unknown.stderr).code).toBe('AWS_UNKNOWN_REGION');
    const malformed = await ore(['list-images', '--region', 'Mars', '--json']);
    expect(malformed.exitCode).toBe(2);
    expect(jsonError(malformed.stderr).code).toBe('AWS_BAD_REGION');
    const noBucket = await ore([
      'upload',
      '--import',
      '--bucket',
      's3://no-such-bucket/x/',
      '--file',
      'disk.raw',
      '--name',
      'nb',
      '--ami-name',
      'nbb',
      '--json',
    ]);
    expect(noBucket.exitCode).toBe(2);
    expect(jsonError(noBucket.stderr).code).toMatch(/BUCKET_NOT_FOUND/);
  });
});

describe('ore aws: copy, list, delete, gc, regions, initialize', () => {
  it('copy-image copies to regions with tags and permissions; a rerun skips them', async () => {
    const src = aws.images.find((i) => i.name === 'flatcar-one-hvm')!;
    src.launchPermissions.push({ userId: '111122223333' });
    const res = await ore([
      'copy-image',
      '--image',
      src.id,
      'us-west-2',
      'eu-central-1',
      '--poll-interval',
      '50ms',
      '--json',
    ]);
    expect(res.exitCode, res.stderr).toBe(0);
    const amis = JSON.parse(res.stdout) as Record<string, string>;
    expect(Object.keys(amis).sort()).toEqual(['eu-central-1', 'us-west-2']);
    const copy = aws.images.find((i) => i.id === amis['us-west-2'])!;
    expect(copy.region).toBe('us-west-2');
    expect(copy.tags.get('CreatedBy')).toBe('mantle');
    expect(copy.launchPermissions).toEqual([{ userId: '111122223333' }]);
    const copies = calls('CopyImage');
    const again = await ore([
      'copy-image',
      '--image',
      src.id,
      'us-west-2',
      'eu-central-1',
      '--poll-interval',
      '50ms',
      '--json',
    ]);
    expect(JSON.parse(again.stdout)).toEqual(amis);
    expect(calls('CopyImage')).toBe(copies);
  });

  it('list-images, list-regions, delete', async () => {
    const list = JSON.parse((await ore(['list-images', '--json'])).stdout) as { name: string }[];
    expect(list.map((i) => i.name).sort()).toEqual([
      'flatcar-import-hvm',
      'flatcar-one-hvm',
      'flatcar-three-hvm',
      'flatcar-two-hvm',
    ]);
    const regions = JSON.parse((await ore(['list-regions', '--json'])).stdout) as { name: string }[];
    expect(regions.map((r) => r.name)).toEqual(['eu-central-1', 'us-east-1', 'us-west-2']);
    const del = await ore(['delete', '--ami-name', 'flatcar-three-hvm', '--json']);
    expect(del.exitCode, del.stderr).toBe(0);
    const img = aws.images.find((i) => i.name === 'flatcar-three-hvm')!;
    expect(img.state).toBe('deregistered');
    expect(aws.snapshots.some((s) => s.id === img.snapshotId)).toBe(false);
  });

  it('gc --older-than removes what mantle made before the cutoff, nothing newer', async () => {
    const keep = await ore(['gc', '--older-than', '1h', '--json']);
    expect(JSON.parse(keep.stdout)).toMatchObject({ images: [], snapshots: [] });
    const old = aws.images.find((i) => i.name === 'flatcar-two-hvm')!;
    old.creationDate = new Date(Date.now() - 3 * 3600_000);
    const gc = await ore(['gc', '--older-than', '2h', '--json']);
    expect(gc.exitCode, gc.stderr).toBe(0);
    const r = JSON.parse(gc.stdout) as { images: { imageId: string }[]; snapshots: string[] };
    expect(r.images.map((i) => i.imageId)).toEqual([old.id]);
    expect(r.snapshots).toEqual([old.snapshotId]);
    expect(aws.images.find((i) => i.name === 'flatcar-one-hvm')?.state).toBe('available');
    expect((await ore(['gc', '--older-than', 'soon', '--json'])).exitCode).toBe(2);
  });

  it('gc terminates old instances tagged CreatedBy=mantle, then their unused groups and key pairs (fake EC2)', async () => {
    const hours = (h: number): Date => new Date(Date.now() - h * 3600_000);
    const run = (id: string, launched: Date, tags: Record<string, string>, sg: string, key: string) =>
      aws.ec2.instances.push({
        id,
        region: 'us-east-1',
        imageId: 'ami-0123456789abcdef0',
        instanceType: 't3.micro',
        state: 'running',
        userDataBase64: '',
        userData: '',
        keyName: key,
        securityGroupIds: [sg],
        subnetId: undefined,
        tags: new Map(Object.entries(tags)),
        launchTime: launched,
        clientToken: undefined,
        publicIp: undefined,
        privateIp: undefined,
        console: '',
      });
    const group = (id: string, tags: Record<string, string>) =>
      aws.ec2.securityGroups.push({
        id,
        region: 'us-east-1',
        name: `kola-${id}`,
        description: 'kola',
        vpcId: 'vpc-useast1',
        tags: new Map(Object.entries(tags)),
        ingress: [],
      });
    const key = (id: string, created: Date) =>
      aws.ec2.keyPairs.push({
        id,
        region: 'us-east-1',
        name: `kola-${id}`,
        publicKey: 'ssh-ed25519 AAAA',
        created,
        tags: new Map([['CreatedBy', 'mantle']]),
      });
    const ours = (at: Date): Record<string, string> => ({ CreatedBy: 'mantle', CreatedAt: at.toISOString() });
    // an old run (deleted), a young run (kept), an old instance that is not ours (kept, and the
    // old group and key pair it uses with it)
    run('i-0000000000000old', hours(5), ours(hours(5)), 'sg-old', 'kola-key-old');
    group('sg-old', ours(hours(5)));
    key('key-old', hours(5));
    run('i-000000000000young', hours(0), ours(hours(0)), 'sg-young', 'kola-key-young');
    group('sg-young', ours(hours(0)));
    key('key-young', hours(0));
    run('i-00000000000other', hours(5), { Name: 'someone' }, 'sg-shared', 'kola-key-shared');
    group('sg-shared', ours(hours(5)));
    key('key-shared', hours(5));
    group('sg-ageless', { CreatedBy: 'mantle' });

    const dry = await ore(['gc', '--older-than', '2h', '--dry-run', '--json']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      dryRun: true,
      instances: ['i-0000000000000old'],
      securityGroups: ['sg-old'],
      keyPairs: ['key-old'],
    });
    expect(aws.ec2.liveResources().instances).toHaveLength(3);
    expect(aws.ec2.securityGroups).toHaveLength(4);

    const gc = await ore(['gc', '--older-than', '2h', '--json']);
    expect(gc.exitCode, gc.stderr).toBe(0);
    const r = JSON.parse(gc.stdout) as { instances: string[]; securityGroups: string[]; keyPairs: string[] };
    expect(r.instances).toEqual(['i-0000000000000old']);
    expect(r.securityGroups).toEqual(['sg-old']);
    expect(r.keyPairs).toEqual(['key-old']);
    expect(gc.stderr).toMatch(/security group sg-shared .*in use, kept/);
    const live = aws.ec2.liveResources();
    expect(live.instances.sort()).toEqual(['i-000000000000young', 'i-00000000000other']);
    expect(live.securityGroups.sort()).toEqual(['sg-ageless', 'sg-shared', 'sg-young']);
    expect(live.keyPairs.sort()).toEqual(['key-shared', 'key-young']);
  });

  it('initialize creates the bucket (s3rver) and the vmimport role once', async () => {
    const res = await ore(['initialize', '--bucket', 's3://new-import-bucket', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      created: ['bucket new-import-bucket', 'role vmimport', 'policy new-import-bucket'],
    });
    expect(aws.roles.get('vmimport')?.policies.get('new-import-bucket')).toMatch(
      /arn:aws:s3:::new-import-bucket/,
    );
    const again = await ore(['initialize', '--bucket', 's3://new-import-bucket', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: [] });
  });

  it('Ctrl-C during the S3 multipart upload aborts it (no orphaned upload) and exits 130', async () => {
    const big = join(dir, 'big.raw');
    await writeFile(big, randomBytes(96 * MIB));
    const child = spawn(
      process.execPath,
      [
        ORE_BIN,
        'aws',
        'upload',
        '--import',
        '--bucket',
        's3://mantle-bucket/big/',
        '--file',
        'big.raw',
        '--name',
        'big',
        '--ami-name',
        'bigimg',
      ],
      { cwd: dir, env, stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const seen = s3.requests.length;
    for (
      let i = 0;
      i < 600 && !s3.requests.slice(seen).some((q) => q.method === 'PUT' && /partNumber=/.test(q.url));
      i++
    )
      await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const mine = s3.requests.slice(seen);
    expect(mine.some((q) => q.method === 'DELETE' && /uploadId=/.test(q.url))).toBe(true);
    expect(await objectExists('mantle-bucket', 'big/big.raw')).toBe(false);
    expect(aws.importTasks.some((t) => t.description === 'big')).toBe(false);
  });
});
