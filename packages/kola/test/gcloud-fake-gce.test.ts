// `kola run -p gcloud` (the built bin) end to end against a local HTTP server speaking the Compute
// Engine REST API (test-utils' fake-gce), which kola drives through ore and the real
// @google-cloud/compute clients, authenticated with a service-account key whose JWTs the fake
// checks. There is no GCE emulator: behind every instance the fake boots a real qemu VM (the tiny
// image) with the `user-data` metadata item the insert carried and reports the VM's forwarded SSH
// port as a label (kola reads it with KOLA_SSH_PORT_TAG). So the SSH and test path is real, and
// Ignition in a wrong field would leave the flight's SSH key out of the VM: the run would fail.
// Two VM boots in all, one at a time.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@mantle/core/log';
import { startFakeGce, writeServiceAccountKey, type FakeGce } from '@mantle/test-utils/fake-gce';
import { kola, kolaBin } from '@mantle/test-utils/systemd-image';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeCloudTest,
  journalLines,
  runToEnd,
  machineConsole,
  qemuBackend,
  startSlowRun,
  writeSlowTest,
  type QemuBackend,
} from './cloud-helpers.js';
import { ensureTinyImage } from './qemu-helpers.js';

const PROJECT = 'mantle-test';
const IMAGE = 'mantle-tiny';
const logger = createLogger({ level: process.env.KOLA_TEST_DEBUG ? 'debug' : 'warn' });

let root: string;
let gce: FakeGce;
let qemu: QemuBackend;
let env: NodeJS.ProcessEnv;
let keyFile: string;

beforeAll(async () => {
  if (!existsSync(kolaBin)) throw new Error(`${kolaBin} is missing: run pnpm build`);
  await ensureTinyImage();
  root = await mkdtemp(join(tmpdir(), 'kola-gcloud-fake-gce-'));
  qemu = await qemuBackend({ root, logger, portTag: 'fake-ssh-port' });
  gce = await startFakeGce({ projects: [PROJECT], operationPolls: 2, backend: qemu.backend });
  gce.images.push({
    name: IMAGE,
    id: '4242',
    project: PROJECT,
    labels: {},
    licenses: [],
    guestOsFeatures: [],
    storageLocations: ['us'],
    status: 'READY',
    created: new Date(),
    imageUsers: [],
  });
  keyFile = join(root, 'key.json');
  await writeServiceAccountKey(gce, keyFile, {
    project: PROJECT,
    email: `kola@${PROJECT}.iam.gserviceaccount.com`,
  });
  await writeSlowTest(root);
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(GOOGLE_|CLOUDSDK_|AWS_)/.test(k)),
  );
  env = {
    ...clean,
    HOME: root,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: gce.endpoint,
    KOLA_STATE_DIR: join(root, 'state'),
    KOLA_SSH_PORT_TAG: 'fake-ssh-port',
  };
}, 900_000);

afterAll(() => closeCloudTest(root, gce, qemu));

const instanceUp = {
  what: 'a running instance of the run',
  up: () => gce.instances.some((i) => i.status === 'RUNNING'),
};

const gceArgs = (): string[] => [
  '-p',
  'gce',
  '--gce-image',
  IMAGE,
  '--gce-json-key',
  keyFile,
  '--gce-machinetype',
  'e2-small',
];

describe('kola run -p gcloud against a fake GCE whose instances are qemu VMs', () => {
  it('creates a labelled instance with Ignition as user-data, SSHes in, runs the test, saves console.txt, deletes it', async () => {
    const { code, stderr, report, header, steps } = await runToEnd(
      root,
      env,
      [...gceArgs(), 'basic.ssh'],
      'out1',
    );
    expect(code, stderr).toBe(0);
    expect(report?.platform).toBe('gcloud');
    expect(report?.tests.map((t) => [t.name, t.result])).toEqual([['basic.ssh', 'PASS']]);
    expect(header.platform).toBe('gcloud');
    expect(header.scope).toMatchObject({ project: PROJECT, zone: 'us-central1-a', key: keyFile });
    expect(steps).toEqual(['run', 'intent instance', 'created instance', 'deleted instance', 'finished']);

    // Nothing is left; what the insert carried: the machine type, the image, Ignition in
    // user-data, the flight's key in ssh-keys, labels gc and cleanup find it by.
    expect(gce.liveInstances()).toEqual([]);
    const inserted = gce.inserted.filter((x) => x.labels['kola-run-id'] === header.runId);
    const consoleText = await machineConsole(root, 'out1', 'basic.ssh');
    expect(consoleText).toContain('mantle-tiny');
    expect(inserted.length).toBe(1);
    const i = inserted[0]!;
    expect(i.machineType).toBe('zones/us-central1-a/machineTypes/e2-small');
    expect(i.sourceImage).toBe(`projects/${PROJECT}/global/images/${IMAGE}`);
    const ign = JSON.parse(i.metadata['user-data'] ?? '{}') as {
      ignition: { version: string };
      passwd?: unknown;
    };
    expect(ign.ignition.version).toMatch(/^3\./);
    expect(JSON.stringify(ign.passwd)).toContain('ssh-ed25519');
    expect(i.metadata['ssh-keys']).toMatch(/^core:ssh-ed25519 /);
    expect(i.labels).toMatchObject({ 'created-by': 'mantle', 'kola-run-id': header.runId });
    expect(Number(i.labels['expires-at'])).toBeGreaterThan(Date.now() / 1000);
    for (const [k, v] of Object.entries(i.labels)) {
      expect(k).toMatch(/^[a-z][-_a-z0-9]{0,62}$/);
      expect(v).toMatch(/^[-_a-z0-9]{0,63}$/);
    }
  }, 900_000);

  it('Ctrl-C (a real SIGINT) while a test runs: deletes the instance, exits 130, keeps no key', async () => {
    const k = await startSlowRun(root, env, gceArgs(), { out: 'out-int', ...instanceUp });
    await new Promise((r) => setTimeout(r, 3000));
    k.child.kill('SIGINT');
    const r = await k.done;
    expect(r.code, r.stderr).toBe(130);
    await gce.settle();
    expect(gce.liveInstances()).toEqual([]);
    expect(qemu.running()).toEqual([]);
    const file = await k.runFile();
    expect((await journalLines(root, file)).at(-1)?.type).toBe('finished');
    expect(existsSync(join(root, 'state', 'runs', file.replace(/\.jsonl$/, '.ssh')))).toBe(false);
  }, 900_000);

  it('SIGKILL mid-run leaves a state file; kola cleanup RUN deletes exactly that run', async () => {
    const k = await startSlowRun(root, env, gceArgs(), { out: 'out2', ...instanceUp });
    k.child.kill('SIGKILL');
    await k.done;
    const file = await k.runFile();
    const runId = file.replace(/\.jsonl$/, '');
    expect(gce.liveInstances()).toHaveLength(1);
    expect(existsSync(join(root, 'state', 'runs', `${runId}.ssh`, 'id_ed25519'))).toBe(true);
    // Another run's instance (same created-by label, other run id) must survive this cleanup.
    gce.instances.push({
      ...structuredClone({ ...gce.instances[0]!, raw: {} }),
      name: 'kola-other-1',
      id: '777',
      labels: { 'created-by': 'mantle', 'kola-run-id': 'kola-20200101-0000-abcdef' },
    });
    // The key comes from the run's state file: no flag, no GOOGLE_APPLICATION_CREDENTIALS.
    const c = await kola(['cleanup', runId], { cwd: root, env, timeoutMs: 600_000 });
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain(`${runId}: deleted instance kola-`);
    await gce.settle();
    expect(gce.liveInstances()).toEqual(['kola-other-1']);
    expect(qemu.running()).toEqual([]);
    gce.instances.splice(0);
    expect((await journalLines(root, file)).at(-1)?.type).toBe('finished');
    // The flight's SSH key lived beside the state file (never /tmp/mantle-cloud-*); cleanup removed it.
    expect(existsSync(join(root, 'state', 'runs', `${runId}.ssh`))).toBe(false);
  }, 900_000);
});

describe('kola run -p gcloud bad inputs (fake GCE; nothing is created)', () => {
  it('no --gce-image, an unknown zone, a missing image, no key: exit 2/3 naming the flag', async () => {
    const inserts = gce.calls.get('instances.insert') ?? 0;
    const run = (args: string[]) =>
      kola(['run', ...args, 'basic.ssh'], { cwd: root, env, timeoutMs: 120_000 });
    const noImage = await run(['-p', 'gcloud', '--gce-json-key', keyFile]);
    expect(noImage.code, noImage.stderr).toBe(2);
    expect(noImage.stderr).toContain('--gce-image');
    const zone = await run([...gceArgs(), '--gce-zone', 'xx-nowhere9-a']);
    expect(zone.code, zone.stderr).toBe(2);
    expect(zone.stderr).toContain('--gce-zone xx-nowhere9-a');
    const image = await run(['-p', 'gcloud', '--gce-json-key', keyFile, '--gce-image', 'no-such-image']);
    expect(image.code, image.stderr).toBe(2);
    expect(image.stderr).toContain('--gce-image no-such-image');
    const key = await run(['-p', 'gcloud', '--gce-image', IMAGE]);
    expect(key.code, key.stderr).toBe(3);
    expect(key.stderr).toContain('--gce-json-key');
    expect(gce.calls.get('instances.insert') ?? 0).toBe(inserts);
  }, 300_000);

  it('--dry-run prints the plan and its cost and makes no GCE call', async () => {
    const before = [...gce.calls.values()].reduce((a, b) => a + b, 0);
    const r = await kola(['run', ...gceArgs(), '--dry-run', 'basic.ssh'], {
      cwd: root,
      env,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('plan: 1 test(s) on gcloud us-central1-a, e2-small');
    expect(r.stdout).toMatch(/≈ [\d.]+ instance-hours × 0\.016751 USD\/h/);
    expect([...gce.calls.values()].reduce((a, b) => a + b, 0)).toBe(before);
  }, 120_000);
});
