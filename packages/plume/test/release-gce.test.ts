// plume pre-release and release to GCE end to end: the build in a file:// source signed by the real
// gpg; the tarball staged through the real @google-cloud/storage client against the GCS JSON API
// server of @mantle/test-utils/fake-gcs; the image made, labelled, made public and the family
// rotated through ore's GCE layer with the real @google-cloud/compute clients against the Compute
// Engine REST server of @mantle/test-utils/fake-gce (no GCE emulator exists), which keeps state,
// checks the service-account JWTs, runs operations and checks labelFingerprint and deprecation
// replacements as the documented API does. Faults: a real SIGKILL of plume after every release
// step, then --resume.
// Needs: pnpm --filter @mantle/plume... build (the kill tests run the built bin)
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertImage } from '@mantle/ore';
import {
  writeServiceAccountKey,
  startFakeGce,
  type FakeGce,
  type FakeGceImage,
} from '@mantle/test-utils/fake-gce';
import { startFakeGcs, type FakeGcs } from '@mantle/test-utils/fake-gcs';
import { detachSign, removeGpgKey, type GpgKey } from '@mantle/test-utils/gpg';
import { makeBuild, makeReleaseWorkspace } from './helpers/build-tree.js';
import { PLUME_BIN as BIN, prunePlan, runPlume, spawnPlume } from './helpers/run.js';

const PROJECT = 'plume-test';
const MIB = 1024 * 1024;

let dir: string;
let key: GpgKey;
let gce: FakeGce;
let gcs: FakeGcs;
let env: NodeJS.ProcessEnv;
let specFile: string;
let artifacts: string;

const stageBuild = (version: string) => makeBuild(join(dir, 'src', version), artifacts, version);

/** An image of an earlier release, as an older tool left it in the project. */
function oldImage(name: string, family: string, daysAgo: number, deprecated?: string): FakeGceImage {
  return {
    name,
    id: String(9_000_000 + gce.images.length),
    project: PROJECT,
    family,
    labels: {},
    licenses: [],
    guestOsFeatures: [],
    storageLocations: ['us'],
    status: 'READY',
    created: new Date(Date.now() - daysAgo * 86_400_000),
    ...(deprecated ? { deprecated: { state: 'DEPRECATED', replacement: deprecated } } : {}),
    imageUsers: [],
  };
}

beforeAll(async () => {
  ({ dir, key, artifacts } = await makeReleaseWorkspace('plume-release-gce-'));
  const raw = join(dir, 'disk.bin');
  const fh = await open(raw, 'w');
  await fh.write(Buffer.from([0x55, 0xaa]), 0, 2, 510); // an MBR signature: a disk image
  await fh.write(randomBytes(64 * 1024), 0, 64 * 1024, MIB);
  await fh.truncate(8 * MIB);
  await fh.close();
  await convertImage({ input: raw, format: 'gce', out: join(artifacts, 'flatcar_production_gce.tar.gz') });
  await detachSign(key, join(artifacts, 'flatcar_production_gce.tar.gz'), { armor: false });

  gcs = await startFakeGcs();
  gcs.createBucket('staging');
  gce = await startFakeGce({
    projects: [PROJECT],
    operationPolls: 1,
    objectExists: (b, n) => gcs.object(b, n) !== undefined,
  });
  const keyFile = join(dir, 'key.json');
  await writeServiceAccountKey(gce, keyFile, {
    project: PROJECT,
    email: `plume@${PROJECT}.iam.gserviceaccount.com`,
  });
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(GOOGLE_|CLOUDSDK_|STORAGE_EMULATOR)/.test(k)),
  );
  env = {
    ...clean,
    HOME: join(dir, 'home'),
    XDG_STATE_HOME: join(dir, 'state'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    GOOGLE_APPLICATION_CREDENTIALS: keyFile,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: gce.endpoint,
  };

  specFile = join(dir, 'spec.yaml');
  const channel = (name: string, family: string, limit: number) => `  ${name}:
    boards: [amd64-usr]
    source: ${pathToFileURL(join(dir, 'src')).href}/{version}/
    verifyKey: key.asc
    gce:
      project: ${PROJECT}
      family: ${family}
      description: Flatcar Container Linux test
      licenses: [flatcar-container-linux]
      staging: gs://staging/{channel}/{version}/
      limit: ${limit}
`;
  await writeFile(
    specFile,
    `channels:\n${channel('test', 'flatcar-test', 2)}${channel('kill', 'flatcar-kill', 0)}`,
  );
}, 300_000);

afterAll(async () => {
  await gce?.close();
  await gcs?.close();
  if (key) await removeGpgKey(key);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const args = (cmd: string, channel: string, version: string, ...more: string[]) => [
  cmd,
  '--spec',
  specFile,
  '-C',
  channel,
  '-B',
  'amd64-usr',
  '-V',
  version,
  '--gcs-endpoint',
  gcs.endpoint,
  ...(cmd === 'status' ? [] : ['--poll-interval', '0.05']),
  ...more,
];
const plume = (cmd: string, channel: string, version: string, ...more: string[]) =>
  runPlume(args(cmd, channel, version, ...more), { env });
const image = (name: string) => gce.images.find((i) => i.name === name);
const calls = (m: string) => gce.calls.get(m) ?? 0;
const totalCalls = () => [...gce.calls.values()].reduce((a, b) => a + b, 0);

describe('plume release to GCE', () => {
  it('stages privately, then makes the family image public and rotates the family; reruns change nothing', async () => {
    // the project as earlier releases left it: 4 older amd64 images (one deprecated already), an
    // arm64 image of the same family, and another family's image
    gce.images.push(
      oldImage('flatcar-test-100-0-0', 'flatcar-test', 40),
      oldImage(
        'flatcar-test-200-0-0',
        'flatcar-test',
        30,
        'projects/plume-test/global/images/flatcar-test-300-0-0',
      ),
      oldImage('flatcar-test-300-0-0', 'flatcar-test', 20),
      oldImage('flatcar-test-400-0-0', 'flatcar-test', 10),
      oldImage('flatcar-test-400-0-0-arm64', 'flatcar-test', 10),
      oldImage('flatcar-other-400-0-0', 'flatcar-other', 10),
    );
    const v = '4081.2.0';
    await stageBuild(v);
    const pre = await plume('pre-release', 'test', v, '--json');
    expect(pre.stderr).not.toMatch(/^error/m);
    expect(pre.code).toBe(0);
    expect(JSON.parse(pre.stdout)).toMatchObject({
      gce: { object: `gs://staging/test/${v}/flatcar_production_gce.tar.gz`, uploaded: true },
    });
    expect(gcs.object('staging', `test/${v}/flatcar_production_gce.tar.gz`)).toBeDefined();
    // nothing on GCE before the release
    expect(image('flatcar-test-4081-2-0')).toBeUndefined();
    expect(calls('images.insert')).toBe(0);

    const rel = await plume('release', 'test', v, '--json');
    expect(rel.stderr).not.toMatch(/^error/m);
    expect(rel.code).toBe(0);
    const out = JSON.parse(rel.stdout) as { gce: { image: string; deprecated: string[]; deleted: string[] } };
    expect(out.gce).toMatchObject({ image: 'flatcar-test-4081-2-0', family: 'flatcar-test', created: true });
    const made = image('flatcar-test-4081-2-0')!;
    expect(made).toMatchObject({ status: 'READY', family: 'flatcar-test' });
    expect(made.deprecated).toBeUndefined();
    expect(made.labels).toMatchObject({
      channel: 'test',
      version: '4081-2-0',
      board: 'amd64-usr',
      'created-by': 'mantle',
    });
    expect(made.licenses.some((l) => l.endsWith('/licenses/flatcar-container-linux'))).toBe(true);
    expect(made.imageUsers).toContain('allAuthenticatedUsers');
    expect(made.rawDisk?.source).toMatch(/staging\/test\/4081\.2\.0\/flatcar_production_gce\.tar\.gz$/);
    // the older ones: newest two kept and deprecated in favour of the new one, the rest deleted
    expect(out.gce.deprecated).toEqual(['flatcar-test-400-0-0', 'flatcar-test-300-0-0']);
    expect(out.gce.deleted).toEqual(['flatcar-test-100-0-0', 'flatcar-test-200-0-0']);
    for (const n of ['flatcar-test-400-0-0', 'flatcar-test-300-0-0']) {
      expect(image(n)?.deprecated?.state).toBe('DEPRECATED');
      expect(image(n)?.deprecated?.replacement).toMatch(
        /projects\/plume-test\/global\/images\/flatcar-test-4081-2-0$/,
      );
    }
    expect(image('flatcar-test-100-0-0')).toBeUndefined();
    expect(image('flatcar-test-200-0-0')).toBeUndefined();
    // the other architecture and the other family are not touched
    expect(image('flatcar-test-400-0-0-arm64')?.deprecated).toBeUndefined();
    expect(image('flatcar-other-400-0-0')?.deprecated).toBeUndefined();

    // a finished run changes nothing: no call at all
    const before = totalCalls();
    for (const cmd of ['pre-release', 'release']) {
      const again = await plume(cmd, 'test', v, '--json');
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ alreadyDone: true });
    }
    expect(totalCalls()).toBe(before);
    // every step again (--restart): reads only, nothing made, deprecated, labelled or deleted twice
    const writes = () =>
      ['images.insert', 'images.deprecate', 'images.delete', 'images.setLabels', 'images.setIamPolicy'].map(
        calls,
      );
    const w = writes();
    const uploads = gcs.stats.simpleUploads + gcs.stats.resumableStarts;
    const restarted = await plume('release', 'test', v, '--json', '--restart');
    expect(restarted.stderr).not.toMatch(/^error/m);
    expect(restarted.code).toBe(0);
    expect(JSON.parse(restarted.stdout)).toMatchObject({
      gce: { created: false, deprecated: [], deleted: [] },
    });
    expect(writes()).toEqual(w);
    expect(gcs.stats.simpleUploads + gcs.stats.resumableStarts).toBe(uploads);
    expect(gce.images.filter((i) => i.name === 'flatcar-test-4081-2-0')).toHaveLength(1);

    // plume status: the family image and the family's rotation, from the journals
    const st = await plume('status', 'test', v, '--json');
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({
      published: {
        gce: {
          staged: `gs://staging/test/${v}/flatcar_production_gce.tar.gz`,
          image: 'flatcar-test-4081-2-0',
          family: 'flatcar-test',
        },
      },
    });
    expect((await plume('status', 'test', v)).stdout).toMatch(
      /GCE flatcar-test-4081-2-0 in family flatcar-test \(public\)/,
    );
  });

  it('an image made earlier by hand without the release labels gets them (setLabels with its fingerprint)', async () => {
    const v = '4081.3.0';
    await stageBuild(v);
    expect((await plume('pre-release', 'test', v)).code).toBe(0);
    // as `ore gcloud upload` would have made it from the staged tarball: no channel/version labels
    gce.images.push({
      ...oldImage('flatcar-test-4081-3-0', 'flatcar-test', 0),
      labels: { team: 'release' },
      rawDisk: { source: `https://storage.googleapis.com/staging/test/${v}/flatcar_production_gce.tar.gz` },
    });
    const inserts = calls('images.insert');
    const rel = await plume('release', 'test', v);
    expect(rel.stderr).not.toMatch(/^error/m);
    expect(rel.code).toBe(0);
    expect(calls('images.insert')).toBe(inserts);
    expect(image('flatcar-test-4081-3-0')?.labels).toEqual({
      team: 'release',
      channel: 'test',
      version: '4081-3-0',
      board: 'amd64-usr',
    });
    expect(image('flatcar-test-4081-2-0')?.deprecated?.replacement).toMatch(/flatcar-test-4081-3-0$/);
  });

  it('a staging directory that is not in Cloud Storage: exit 2 naming gce.staging, nothing made', async () => {
    const bad = specFile.replace(/\.yaml$/, '-s3.yaml');
    const { readFile } = await import('node:fs/promises');
    await writeFile(
      bad,
      (await readFile(specFile, 'utf8')).replace('gs://staging/{channel}', 's3://staging/{channel}'),
    );
    const v = '4081.4.0';
    await stageBuild(v);
    const r = await runPlume(
      [
        'pre-release',
        '--spec',
        bad,
        '-C',
        'test',
        '-B',
        'amd64-usr',
        '-V',
        v,
        '--gcs-endpoint',
        gcs.endpoint,
      ],
      { env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/gce\.staging/);
    expect(image('flatcar-test-4081-4-0')).toBeUndefined();
  });
});

describe('plume release to GCE killed after every step, then resumed', () => {
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm --filter @mantle/plume... build`);
  });
  const REL_STEPS = 3; // version-txt, gce:image, gce:family

  const plumeProcess = (cmd: string, version: string, extraEnv: NodeJS.ProcessEnv, ...more: string[]) =>
    spawnPlume(args(cmd, 'kill', version, ...more), { ...env, ...extraEnv });

  for (let n = 1; n <= REL_STEPS; n++)
    it(`release killed after step ${n}: --resume completes, one image, the family rotated`, async () => {
      const v = `6000.${n}.0`;
      const name = `flatcar-kill-6000-${n}-0`;
      await stageBuild(v);
      expect((await plume('pre-release', 'kill', v)).code).toBe(0);
      const inserts = calls('images.insert');
      const earlier = gce.images.filter((i) => i.family === 'flatcar-kill').map((i) => i.name);
      const killed = await plumeProcess('release', v, {
        PLUME_KILL_AFTER_STEP: `${n}${n % 2 === 0 ? ':recorded' : ''}`,
      });
      expect(killed.signal).toBe('SIGKILL');
      const resumed = await plumeProcess('release', v, {}, '--resume');
      expect(resumed.stderr).not.toMatch(/^error/m);
      expect(resumed.code).toBe(0);
      expect(gce.images.filter((i) => i.name === name)).toHaveLength(1);
      expect(calls('images.insert')).toBe(inserts + 1);
      expect(image(name)?.deprecated).toBeUndefined();
      expect(image(name)?.imageUsers).toContain('allAuthenticatedUsers');
      // every earlier image of the family deprecated, none left active beside the new one
      const family = gce.images.filter((i) => i.family === 'flatcar-kill' && i.name !== name);
      expect(family.map((i) => i.name).sort()).toEqual([...earlier].sort());
      for (const i of family) expect(i.deprecated?.state).toBe('DEPRECATED');
    });

  it('prune deletes the family images and staged tarballs beyond --keep (a dry run first)', async () => {
    // the kill tests above released 6000.1.0, 6000.2.0 and 6000.3.0
    const prune = (...more: string[]) =>
      runPlume(
        ['prune', '--spec', specFile, '-C', 'kill', '--keep', '1', '--gcs-endpoint', gcs.endpoint].concat(
          ['--poll-interval', '0.05'],
          more,
        ),
        { env },
      );
    const plan = prunePlan(await prune('--json'));
    expect(plan.kept).toEqual({ 'amd64-usr': ['6000.3.0'] });
    expect(plan.skipped).toEqual([]);
    expect(plan.targets.map((t) => `${t.kind} ${t.id}`).sort()).toEqual([
      'gce-image flatcar-kill-6000-1-0',
      'gce-image flatcar-kill-6000-2-0',
      'gce-staged gs://staging/kill/6000.1.0/flatcar_production_gce.tar.gz',
      'gce-staged gs://staging/kill/6000.2.0/flatcar_production_gce.tar.gz',
    ]);
    expect(image('flatcar-kill-6000-1-0')).toBeDefined(); // a dry run
    const done = await prune('--yes');
    expect(done.code, done.stderr).toBe(0);
    expect(gce.images.filter((i) => i.family === 'flatcar-kill').map((i) => i.name)).toEqual([
      'flatcar-kill-6000-3-0',
    ]);
    for (const n of [1, 2])
      expect(gcs.object('staging', `kill/6000.${n}.0/flatcar_production_gce.tar.gz`)).toBeUndefined();
    expect(gcs.object('staging', 'kill/6000.3.0/flatcar_production_gce.tar.gz')).toBeDefined();
    // the other channel's family is not touched
    expect(gce.images.some((i) => i.family === 'flatcar-test')).toBe(true);
    expect(prunePlan(await prune('--json')).targets).toEqual([]);
  });
});
