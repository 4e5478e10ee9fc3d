// Integration: `ore gcloud` (the built bin) with the real @google-cloud/compute clients (REST
// transport, CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE) against a local server speaking the Compute
// Engine REST API with operations (@mantle/test-utils/fake-gce: there is no GCE emulator), and
// the real @google-cloud/storage client (CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE) against the GCS JSON API server
// of @mantle/test-utils/fake-gcs. Both keep state, so reruns see what earlier runs made; the
// fake GCE checks that requests carry a JWT signed by the test's service-account key.
// Needs: pnpm --filter @mantle/core --filter @mantle/ore build
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '@mantle/core/exec';
import { startFakeGce, writeServiceAccountKey, type FakeGce } from '@mantle/test-utils/fake-gce';
import { startFakeGcs, type FakeGcs } from '@mantle/test-utils/fake-gcs';
import { jsonError, requireOreBuild, runOre } from './helpers/ore-bin.js';

const MIB = 1024 * 1024;
const DISK_SIZE = 16 * MIB;
const PROJECT = 'mantle-test';

let dir: string;
let gce: FakeGce;
let gcs: FakeGcs;
let env: NodeJS.ProcessEnv;
let keyFile: string;
let disk: Buffer;

function ore(args: string[], extraEnv: NodeJS.ProcessEnv = {}): ReturnType<typeof runOre> {
  return runOre(dir, ['gcloud', ...args], { env: { ...env, ...extraEnv } });
}

function calls(method: string): number {
  return gce.calls.get(method) ?? 0;
}

function uploads(): number {
  return gcs.stats.simpleUploads + gcs.stats.resumableStarts;
}

async function makeDisk(name: string): Promise<Buffer> {
  const d = Buffer.alloc(DISK_SIZE);
  for (const at of [0, 3 * MIB, 9 * MIB + 12345]) d.fill(0x5a, at + 512, at + 100_000);
  d.fill(0, 446, 510);
  d[510] = 0x55;
  d[511] = 0xaa;
  const fh = await open(join(dir, name), 'w');
  try {
    await fh.write(d, 0, d.length, 0);
  } finally {
    await fh.close();
  }
  return d;
}

/** The disk.raw inside a gzip'd oldgnu (sparse) tar, as GNU tar extracts it. */
async function diskOfTarball(gz: Buffer): Promise<Buffer> {
  const x = await mkdtemp(join(dir, 'x-'));
  await writeFile(join(x, 'image.tar.gz'), gz);
  await run('tar', ['-xzf', 'image.tar.gz'], { cwd: x });
  expect((await run('tar', ['-tzvf', 'image.tar.gz'], { cwd: x })).stdout).toMatch(/ disk\.raw$/m);
  return readFile(join(x, 'disk.raw'));
}

beforeAll(async () => {
  await requireOreBuild();
  dir = await mkdtemp(join(tmpdir(), 'mantle-ore-gcloud-'));
  gcs = await startFakeGcs();
  gcs.createBucket('mantle-images');
  gce = await startFakeGce({
    projects: [PROJECT],
    operationPolls: 2,
    objectExists: (b, n) => gcs.object(b, n) !== undefined,
  });
  keyFile = join(dir, 'key.json');
  await writeServiceAccountKey(gce, keyFile, {
    project: PROJECT,
    email: `ore@${PROJECT}.iam.gserviceaccount.com`,
  });
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(GOOGLE_|CLOUDSDK_|STORAGE_EMULATOR)/.test(k)),
  );
  env = {
    ...clean,
    HOME: join(dir, 'home'),
    GOOGLE_APPLICATION_CREDENTIALS: keyFile,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: gce.endpoint,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE: `${gcs.endpoint}/storage/v1/`,
  };
  disk = await makeDisk('flatcar_production_gce.bin');
});

afterAll(async () => {
  await gce?.close();
  await gcs?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ore gcloud upload/create-image against a local Compute REST server and a GCS JSON API server', () => {
  let selfLink: string;

  it('converts a disk to the gce tarball, uploads it, creates the image as mantle does', async () => {
    const res = await ore([
      'upload',
      '--bucket',
      'gs://mantle-images/dev/',
      '--file',
      'flatcar_production_gce.bin',
      '--name',
      'flatcar-dev-1',
      '--family',
      'flatcar-dev',
      '--license',
      'flatcar-container-linux',
      '--label',
      'channel=dev',
      '--json',
    ]);
    expect(res.exitCode, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(r).toMatchObject({
      image: 'flatcar-dev-1',
      object: 'gs://mantle-images/dev/flatcar_production_gce.bin',
      uploaded: true,
      reused: false,
      family: 'flatcar-dev',
    });
    selfLink = String(r.selfLink);
    expect(selfLink).toMatch(/projects\/mantle-test\/global\/images\/flatcar-dev-1$/);
    // the object is the gce tarball of the disk, byte for byte
    const obj = gcs.object('mantle-images', 'dev/flatcar_production_gce.bin')!;
    expect((await diskOfTarball(obj.data)).equals(disk)).toBe(true);
    const img = gce.images.find((i) => i.name === 'flatcar-dev-1')!;
    expect(img).toMatchObject({
      status: 'READY',
      family: 'flatcar-dev',
      labels: { 'created-by': 'mantle', channel: 'dev' },
      licenses: [expect.stringMatching(/projects\/mantle-test\/global\/licenses\/flatcar-container-linux$/)],
    });
    expect(img.guestOsFeatures.map((f) => f.type).sort()).toEqual([
      'GVNIC',
      'UEFI_COMPATIBLE',
      'VIRTIO_SCSI_MULTIQUEUE',
    ]);
    expect(img.rawDisk?.source).toBe(
      'https://storage.googleapis.com/mantle-images/dev/flatcar_production_gce.bin',
    );
    // the insert operation was polled until DONE
    expect(calls('globalOperations.get')).toBeGreaterThanOrEqual(1);
  });

  it('a second run uploads nothing and reuses the image', async () => {
    const before = { up: uploads(), insert: calls('images.insert') };
    const res = await ore([
      'upload',
      '--bucket',
      'gs://mantle-images/dev',
      '--file',
      'flatcar_production_gce.bin',
      '--name',
      'flatcar-dev-1',
      '--json',
    ]);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ uploaded: false, reused: true, selfLink });
    expect({ up: uploads(), insert: calls('images.insert') }).toEqual(before);
    expect(gce.images.filter((i) => i.name === 'flatcar-dev-1')).toHaveLength(1);
  });

  it('create-image from a tarball already in GCS; throttling (429) is retried', async () => {
    gce.throttle.set('images.insert', 2);
    gce.throttle.set('globalOperations.get', 1);
    const res = await ore([
      'create-image',
      '--source',
      'gs://mantle-images/dev/flatcar_production_gce.bin',
      '--name',
      'flatcar-dev-2',
      '--family',
      'flatcar-dev',
      '--json',
    ]);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(gce.throttle.get('images.insert')).toBe(0);
    expect(gce.images.filter((i) => i.name === 'flatcar-dev-2').map((i) => i.status)).toEqual(['READY']);
  });

  it('an existing image of the name from another tarball is refused without --force, replaced with it', async () => {
    const src = ['--source', 'gs://mantle-images/dev/other.tar.gz', '--name', 'flatcar-dev-2', '--json'];
    const refused = await ore(['create-image', ...src]);
    expect(refused.exitCode).toBe(2);
    expect(jsonError(refused.stderr).code).toBe('GCE_IMAGE_EXISTS');
    // --force: the old image goes; the new one fails because the tarball is not in GCS
    const forced = await ore(['create-image', ...src, '--force']);
    expect(forced.exitCode).toBe(2);
    expect(jsonError(forced.stderr)).toMatchObject({ code: 'GCE_SOURCE_NOT_FOUND' });
    expect(gce.images.some((i) => i.name === 'flatcar-dev-2')).toBe(false);
  });

  it('list-images (--json, --prefix, --family), deprecate, delete-images', async () => {
    const list = await ore(['list-images', '--family', 'flatcar-dev', '--json']);
    expect(list.exitCode, list.stderr).toBe(0);
    const images = JSON.parse(list.stdout) as { name: string; guestOsFeatures: string[] }[];
    expect(images.map((i) => i.name)).toEqual(['flatcar-dev-1']);
    expect(images[0]!.guestOsFeatures).toContain('UEFI_COMPATIBLE');
    const text = await ore(['list-images', '--prefix', 'flatcar-']);
    expect(text.stdout).toMatch(/^flatcar-dev-1\tREADY\tflatcar-dev\t/m);

    const dep = await ore(['deprecate', '--image', 'flatcar-dev-1', '--state', 'DEPRECATED']);
    expect(dep.exitCode, dep.stderr).toBe(0);
    expect(gce.images.find((i) => i.name === 'flatcar-dev-1')!.deprecated).toEqual({ state: 'DEPRECATED' });
    const missing = await ore(['deprecate', '--image', 'no-such-image', '--json']);
    expect(missing.exitCode).toBe(2);
    expect(jsonError(missing.stderr).code).toBe('GCE_IMAGE_NOT_FOUND');

    const del = await ore(['delete-images', 'flatcar-dev-1', 'never-made', '--json']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(JSON.parse(del.stdout)).toEqual({ deleted: ['flatcar-dev-1'], missing: ['never-made'] });
    expect(gce.images.some((i) => i.name === 'flatcar-dev-1')).toBe(false);
  });

  it('--dry-run prints the calls and touches nothing', async () => {
    const before = { up: uploads(), calls: [...gce.calls.values()].reduce((a, b) => a + b, 0) };
    const res = await ore([
      'upload',
      '--bucket',
      'gs://mantle-images/dev/',
      '--file',
      'flatcar_production_gce.bin',
      '--name',
      'flatcar-dry',
      '--dry-run',
      '--json',
    ]);
    expect(res.exitCode, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout) as { dryRun: { service: string; operation: string }[] };
    expect(r.dryRun.map((c) => `${c.service} ${c.operation}`)).toEqual(
      expect.arrayContaining(['GCS objects.insert (resumable)', 'GCE images.insert']),
    );
    expect({ up: uploads(), calls: [...gce.calls.values()].reduce((a, b) => a + b, 0) }).toEqual(before);
  });
});

describe('ore gcloud gc and the instance library functions', () => {
  it('gc deletes our images and instances older than --older-than, keeps the rest', async () => {
    const ore_ = await import('@mantle/ore');
    const clients = ore_.gceClients({
      projectId: PROJECT,
      credentials: JSON.parse(await readFile(keyFile, 'utf8')) as never,
      endpoint: gce.endpoint,
      pollMs: 50,
    });
    try {
      // an image to launch from, made through the library as kola would use it
      await ore_.createGceImage(clients, {
        name: 'kola-base',
        source: 'gs://mantle-images/dev/flatcar_production_gce.bin',
      });
      const inst = await ore_.createGceInstance(clients, {
        zone: 'us-central1-a',
        image: 'kola-base',
        basename: 'kola',
        userData: '{"ignition":{"version":"3.3.0"}}',
        labels: { 'kola-run': 'run1' },
      });
      expect(inst).toMatchObject({
        status: 'RUNNING',
        labels: { 'created-by': 'mantle', 'kola-run': 'run1' },
      });
      expect(inst.externalIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(inst.metadata['user-data']).toContain('ignition');
      const running = await ore_.waitGceInstanceRunning(clients, 'us-central1-a', inst.name);
      expect(running.internalIp).toBe(inst.internalIp);
      const con = await ore_.gceInstanceConsole(clients, 'us-central1-a', inst.name);
      expect(con.contents).toContain('login:');
      const again = await ore_.gceInstanceConsole(clients, 'us-central1-a', inst.name, con.next);
      expect(again.contents).toBe('');

      // age the image and the instance; a fresh one and someone else's old image stay
      const old = new Date(Date.now() - 10 * 3_600_000);
      gce.images.find((i) => i.name === 'kola-base')!.created = old;
      gce.instances.find((i) => i.name === inst.name)!.created = old;
      await ore_.createGceImage(clients, {
        name: 'fresh',
        source: 'gs://mantle-images/dev/flatcar_production_gce.bin',
      });
      const foreign = gce.images.find((i) => i.name === 'fresh')!;
      gce.images.push({ ...foreign, name: 'not-ours', id: '42', labels: {}, created: old });
    } finally {
      await clients.destroy();
    }
    const res = await ore(['gc', '--older-than', '5h', '--zone', 'us-central1-a', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout) as { images: { name: string }[]; instances: { name: string }[] };
    expect(r.images.map((i) => i.name)).toEqual(['kola-base']);
    expect(r.instances).toHaveLength(1);
    expect(gce.instances).toHaveLength(0);
    expect(gce.images.map((i) => i.name).sort()).toEqual(['fresh', 'not-ours']);
  });
});

describe('ore gcloud bad inputs', () => {
  it('an image name GCE refuses is refused before any upload', async () => {
    const before = uploads();
    const res = await ore([
      'upload',
      '--bucket',
      'gs://mantle-images/dev/',
      '--file',
      'flatcar_production_gce.bin',
      '--name',
      'Flatcar_Bad.Name',
      '--json',
    ]);
    expect(res.exitCode).toBe(2);
    expect(jsonError(res.stderr)).toMatchObject({ code: 'CLOUD_BAD_NAME' });
    expect(jsonError(res.stderr).message).toContain('--name');
    expect(uploads()).toBe(before);
  });

  it('refused credentials exit 3 naming the key; missing credentials exit 3', async () => {
    gce.rejectAuth = true;
    try {
      const res = await ore(['list-images', '--json']);
      expect(res.exitCode).toBe(3);
      const e = jsonError(res.stderr);
      expect(e.code).toBe('GCE_AUTH');
      expect(e.message).toContain(keyFile);
    } finally {
      gce.rejectAuth = false;
    }
    // no key anywhere: exit 3; a named key file that does not exist: exit 2 naming it
    const noKey = { ...env };
    delete noKey.GOOGLE_APPLICATION_CREDENTIALS;
    const none = await runOre(dir, ['gcloud', 'list-images', '--json'], { env: noKey });
    expect(none.exitCode).toBe(3);
    const gone = await ore(['list-images', '--gce-json-key', join(dir, 'nope.json'), '--json']);
    expect(gone.exitCode).toBe(2);
    expect(jsonError(gone.stderr).message).toContain('nope.json');
  });

  it('an unknown zone, a malformed zone, a bucket that does not exist', async () => {
    const unknown = await ore(['gc', '--zone', 'mars-north1-a', '--json']);
    expect(unknown.exitCode).toBe(2);
    expect(jsonError(unknown.stderr).code).toBe('GCE_UNKNOWN_ZONE');
    const malformed = await ore(['gc', '--zone', 'nowhere', '--json']);
    expect(malformed.exitCode).toBe(2);
    expect(jsonError(malformed.stderr).code).toBe('GCE_BAD_ZONE');
    const nobucket = await ore([
      'upload',
      '--bucket',
      'gs://no-such-bucket/x/',
      '--file',
      'flatcar_production_gce.bin',
      '--name',
      'flatcar-nobucket',
      '--json',
    ]);
    expect(nobucket.exitCode).not.toBe(0);
    expect(jsonError(nobucket.stderr).code).toBe('STORAGE_BUCKET_NOT_FOUND');
    expect(gce.images.some((i) => i.name === 'flatcar-nobucket')).toBe(false);
  });
});
