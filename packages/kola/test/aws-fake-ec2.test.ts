// `kola run -p aws` (the built bin) end to end against a local HTTP server speaking the EC2
// query protocol (test-utils' fake-aws), which kola drives through ore and the real
// @aws-sdk/client-ec2. There is no EC2 emulator: behind every "instance" the fake boots a real
// qemu VM (the tiny image) with the user data RunInstances received, and reports the VM's
// forwarded SSH port as a tag (kola reads it with KOLA_SSH_PORT_TAG). So the SSH and test path
// is real, and user data in a wrong field would leave the flight's SSH key and the test's
// hostname out of the VM: the run would fail.
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@mantle/core/log';
import { startFakeAws, type FakeAws, type FakeInstanceBackend } from '@mantle/test-utils/fake-aws';
import { freePort } from '@mantle/test-utils/free-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  journalLines,
  qemuBackend,
  readReport,
  runFiles,
  spawnKola,
  until,
  writeSlowTest,
  type QemuBackend,
} from './cloud-helpers.js';
import { ensureTinyImage, qemuPidsWith } from './qemu-helpers.js';
import { kola, kolaBin } from '@mantle/test-utils/systemd-image';

const AMI = 'ami-0123456789abcdef0';
const logger = createLogger({ level: process.env.KOLA_TEST_DEBUG ? 'debug' : 'warn' });

let root: string;
let aws: FakeAws;
let qemu: QemuBackend;
let env: NodeJS.ProcessEnv;
const instanceOpts: { instanceLimit?: number; backend?: FakeInstanceBackend } = {};

beforeAll(async () => {
  if (!existsSync(kolaBin)) throw new Error(`${kolaBin} is missing: run pnpm build`);
  await ensureTinyImage();
  root = await mkdtemp(join(tmpdir(), 'kola-aws-fake-ec2-'));
  await writeSlowTest(join(root, 'mods'));
  // Two machines: each pings the other's private IP (what DescribeInstances reported), then a
  // native function and a check spec run through kolet, uploaded over SSH as on any cloud.
  await writeFile(
    join(root, 'mods', 'lan.mjs'),
    `export function register(registry, kola) {
       registry.register(kola.defineTest({
         name: 'cloud.lan-kolet', distros: ['cl', 'tiny'], clusterSize: 2,
         nativeFuncs: { hello: () => { console.log('hello from kolet'); } },
         checks: 'file:\\n  /bin/sh: { exists: true }\\n',
         run: async (c) => {
           const [a, b] = c.machines;
           for (const [x, y] of [[a, b], [b, a]]) {
             if (!y.privateIp) c.fatal('no private IP for ' + y.id);
             await c.mustSsh(x, 'ping -c 1 -W 5 ' + y.privateIp, { user: 'root' });
           }
           await c.runNative('hello', a);
         },
       }));
     }
`,
  );
  // The fake's instances are qemu machines of a flight of this test process.
  qemu = await qemuBackend({ root, logger, portTag: 'FakeSshPort' });
  aws = await startFakeAws({ instances: Object.assign(instanceOpts, { backend: qemu.backend }) });
  aws.images.push({
    id: AMI,
    region: 'us-east-1',
    name: 'mantle-tiny',
    description: 'the tiny test image',
    state: 'available',
    creationDate: new Date(),
    snapshotId: 'snap-0123456789abcdef0',
    volumeSize: 1,
    architecture: 'x86_64',
    enaSupport: true,
    rootDeviceName: '/dev/xvda',
    tags: new Map(),
    launchPermissions: [],
  });
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  env = {
    ...clean,
    HOME: root,
    AWS_ACCESS_KEY_ID: 'AKIAFAKEEC2',
    AWS_SECRET_ACCESS_KEY: 'fakesecret',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_EC2: aws.ec2Endpoint,
    KOLA_STATE_DIR: join(root, 'state'),
    KOLA_SSH_PORT_TAG: 'FakeSshPort',
  };
}, 900_000);

afterAll(async () => {
  await aws?.close();
  await qemu?.close();
  expect(await qemuPidsWith(root)).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

const awsArgs = ['-p', 'aws', '--aws-ami', AMI, '--aws-type', 't3.micro'];

const stateFiles = (): Promise<string[]> => runFiles(root);
const journal = (name: string): Promise<Record<string, unknown>[]> => journalLines(root, name);
const startKola = (args: string[]): ReturnType<typeof spawnKola> => spawnKola(root, env, args);

describe('kola run -p aws against a fake EC2 whose instances are qemu VMs', () => {
  it('creates tagged instances with the Ignition user data, SSHes in, runs the tests, saves console.txt, deletes everything', async () => {
    const before = await stateFiles();
    const r = await kola(['run', ...awsArgs, 'basic.ssh', 'basic.hostname', '--output-dir', 'out1'], {
      cwd: root,
      env,
      timeoutMs: 900_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const report = await readReport(root, 'out1');
    expect(report.platform).toBe('aws');
    expect(report.result).toBe('PASS');
    expect(report.tests.map((t) => [t.name, t.result])).toEqual([
      ['basic.hostname', 'PASS'],
      ['basic.ssh', 'PASS'],
    ]);

    // The run's state file: written before each create, finished at the end.
    const [file] = (await stateFiles()).filter((f) => !before.includes(f));
    expect(file).toBeDefined();
    const lines = await journal(file ?? '');
    const runId = (lines[0] as { runId: string }).runId;
    const kinds = lines.map((l) => [l.type, l.kind].filter((x) => typeof x === 'string').join(' '));
    expect(kinds.filter((k) => k === 'intent instance')).toHaveLength(2);
    expect(kinds.indexOf('intent instance')).toBeLessThan(kinds.indexOf('created instance'));
    expect(kinds.at(-1)).toBe('finished');

    // Two instances, of the AMI and type asked for, tagged for gc, with Ignition as user data.
    const mine = aws.ec2.instances.filter((i) => i.tags.get('KolaRunId') === runId);
    expect(mine).toHaveLength(2);
    for (const i of mine) {
      expect(i.imageId).toBe(AMI);
      expect(i.instanceType).toBe('t3.micro');
      expect(i.state).toBe('terminated');
      expect(i.tags.get('CreatedBy')).toBe('mantle');
      expect(Date.parse(i.tags.get('ExpiresAt') ?? '')).toBeGreaterThan(Date.now());
      const ign = JSON.parse(i.userData) as { ignition: { version: string }; passwd?: unknown };
      expect(ign.ignition.version).toMatch(/^3\./);
      expect(JSON.stringify(ign.passwd)).toContain('ssh-ed25519');
      expect(i.keyName).toBe(runId);
      expect(i.securityGroupIds).toHaveLength(1);
    }
    // The security group and key pair were tagged and deleted with the run; nothing is left.
    expect(aws.ec2.liveResources()).toEqual({ instances: [], securityGroups: [], keyPairs: [] });

    // console.txt per machine holds what the VM printed (GetConsoleOutput).
    const consoles: string[] = [];
    for (const test of ['basic.ssh', 'basic.hostname']) {
      const dir = join(root, 'out1', test);
      for (const m of await readdir(dir, { withFileTypes: true }))
        if (m.isDirectory()) consoles.push(await readFile(join(dir, m.name, 'console.txt'), 'utf8'));
    }
    expect(consoles).toHaveLength(2);
    for (const c of consoles) expect(c).toContain('mantle-tiny');
  }, 900_000);

  it('a 2-machine test: the machines reach each other on their private IPs; kolet runs a native function and checks', async () => {
    const r = await kola(
      ['run', ...awsArgs, 'cloud.lan-kolet', '--tests-dir', 'mods', '--output-dir', 'out-lan'],
      { cwd: root, env, timeoutMs: 900_000 },
    );
    const report = await readReport(root, 'out-lan');
    expect(r.code, `${r.stderr}\n${JSON.stringify(report, null, 1)}`).toBe(0);
    expect(report.platform).toBe('aws');
    expect(report.tests.map((t) => [t.name, t.result])).toEqual([
      ['cloud.lan-kolet', 'PASS'],
      ['cloud.lan-kolet/checks', 'PASS'],
    ]);
    const out = (report.tests as { output?: string }[]).map((t) => t.output ?? '').join('\n');
    expect(out).toContain('hello from kolet');
    expect(out).toMatch(/checks of test cloud\.lan-kolet .* on kola-\w+-1: Count: 1, Failed: 0/);
    expect(out).toMatch(/checks of test cloud\.lan-kolet .* on kola-\w+-2: Count: 1, Failed: 0/);
    await aws.ec2.settle();
    expect(aws.ec2.liveResources()).toEqual({ instances: [], securityGroups: [], keyPairs: [] });
  }, 900_000);

  it('Ctrl-C (a real SIGINT) while a test runs: deletes the instance and its group and key, exits 130', async () => {
    const before = await stateFiles();
    const k = startKola(['run', ...awsArgs, 'slow.sleep', '--tests-dir', 'mods', '--output-dir', 'out2']);
    await until('a running instance of the run', () => aws.ec2.instances.some((i) => i.state === 'running'));
    await new Promise((r) => setTimeout(r, 3000));
    k.child.kill('SIGINT');
    const r = await k.done;
    expect(r.code, r.stderr).toBe(130);
    await aws.ec2.settle();
    expect(aws.ec2.liveResources()).toEqual({ instances: [], securityGroups: [], keyPairs: [] });
    const [file] = (await stateFiles()).filter((f) => !before.includes(f));
    expect((await journal(file ?? '')).at(-1)?.type).toBe('finished');
  }, 900_000);

  it('SIGKILL mid-run leaves a state file; kola cleanup RUN deletes exactly that run', async () => {
    const before = await stateFiles();
    const k = startKola(['run', ...awsArgs, 'slow.sleep', '--tests-dir', 'mods', '--output-dir', 'out3']);
    await until('a running instance of the run', () => aws.ec2.instances.some((i) => i.state === 'running'));
    k.child.kill('SIGKILL');
    await k.done;
    const live = aws.ec2.liveResources();
    expect(live.instances).toHaveLength(1);
    expect(live.securityGroups).toHaveLength(1);
    expect(live.keyPairs).toHaveLength(1);
    const [file] = (await stateFiles()).filter((f) => !before.includes(f));
    const runId = file?.replace(/\.jsonl$/, '') ?? '';

    // A state file copied under another run's name is refused, naming the file.
    const other = 'kola-20200101-0000-abcdef';
    await copyFile(join(root, 'state', 'runs', file ?? ''), join(root, 'state', 'runs', `${other}.jsonl`));
    const bad = await kola(['cleanup', other], { cwd: root, env, timeoutMs: 120_000 });
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain(`belongs to run ${runId}`);
    await rm(join(root, 'state', 'runs', `${other}.jsonl`));

    const list = await kola(['cleanup', '--list', '--json'], { cwd: root, env, timeoutMs: 120_000 });
    const listed = (
      JSON.parse(list.stdout) as { list: { runId: string; finished: boolean; live: boolean }[] }
    ).list;
    expect(listed.find((s) => s.runId === runId)).toMatchObject({ finished: false, live: false });

    // Another run's group (same CreatedBy tag, other run id) must survive this run's cleanup.
    aws.ec2.securityGroups.push({
      id: 'sg-0ther0run0000000',
      region: 'us-east-1',
      name: 'kola-20200101-0000-abcdef',
      description: 'another run',
      vpcId: 'vpc-useast1',
      tags: new Map([
        ['CreatedBy', 'mantle'],
        ['KolaRunId', other],
      ]),
      ingress: [],
    });

    const c = await kola(['cleanup', runId], { cwd: root, env, timeoutMs: 600_000 });
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain(`${runId}: deleted instance i-`);
    await aws.ec2.settle();
    expect(aws.ec2.liveResources()).toEqual({
      instances: [],
      securityGroups: ['sg-0ther0run0000000'],
      keyPairs: [],
    });
    aws.ec2.securityGroups.splice(0);
    expect((await journal(file ?? '')).at(-1)?.type).toBe('finished');
    // A second cleanup has nothing left to do and says so.
    const again = await kola(['cleanup', runId], { cwd: root, env, timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
  }, 900_000);
});

describe('kola run -p aws bad inputs (fake EC2; nothing is created)', () => {
  it('no --aws-ami, an unknown instance type, an unknown region, a missing AMI: exit 2 naming the flag', async () => {
    const noAmi = await kola(['run', '-p', 'aws', 'basic.ssh'], { cwd: root, env, timeoutMs: 120_000 });
    expect(noAmi.code, noAmi.stderr).toBe(2);
    expect(noAmi.stderr).toContain('--aws-ami');
    const type = await kola(['run', '-p', 'aws', '--aws-ami', AMI, '--aws-type', 'z9.huge', 'basic.ssh'], {
      cwd: root,
      env,
      timeoutMs: 120_000,
    });
    expect(type.code, type.stderr).toBe(2);
    expect(type.stderr).toContain('--aws-type z9.huge');
    const region = await kola(['run', ...awsArgs, '--aws-region', 'xx-nowhere-9', 'basic.ssh'], {
      cwd: root,
      env,
      timeoutMs: 120_000,
    });
    expect(region.code, region.stderr).toBe(2);
    expect(region.stderr).toContain('--aws-region xx-nowhere-9');
    const ami = await kola(['run', '-p', 'aws', '--aws-ami', 'ami-00000000000000000', 'basic.ssh'], {
      cwd: root,
      env,
      timeoutMs: 120_000,
    });
    expect(ami.code, ami.stderr).toBe(2);
    expect(ami.stderr).toContain('--aws-ami ami-00000000000000000');
    expect(aws.ec2.instances.filter((i) => i.state !== 'terminated')).toEqual([]);
  }, 300_000);

  it('--dry-run prints the plan and its cost and makes no EC2 call', async () => {
    const before = [...aws.calls.values()].reduce((a, b) => a + b, 0);
    const r = await kola(['run', ...awsArgs, '--dry-run', 'basic.ssh', 'basic.hostname'], {
      cwd: root,
      env,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('plan: 2 test(s) on aws us-east-1, t3.micro');
    expect(r.stdout).toMatch(
      /total: 2 machine\(s\) × t3\.micro ≈ [\d.]+ instance-hours × 0\.0104 USD\/h ≈ [\d.]+ USD/,
    );
    expect([...aws.calls.values()].reduce((a, b) => a + b, 0)).toBe(before);
  }, 120_000);

  it('an instance that never answers SSH: a timeout error with the console tail, exit 1, nothing left', async () => {
    // EC2 reports the instance running at an address where nothing listens (a free port on
    // loopback); its console says why, as a real console would.
    const deadPort = await freePort();
    const saved = instanceOpts.backend;
    instanceOpts.backend = {
      start: () =>
        Promise.resolve({
          publicIp: '127.0.0.1',
          privateIp: '172.31.9.9',
          tags: { FakeSshPort: String(deadPort) },
        }),
      console: () =>
        Promise.resolve('[    1.234567] Kernel panic - not syncing: VFS: Unable to mount root fs\n'),
      stop: () => Promise.resolve(),
    };
    try {
      const r = await kola(['run', ...awsArgs, '--ssh-retries', '2', '--ssh-timeout', '2', 'basic.ssh'], {
        cwd: root,
        env,
        timeoutMs: 300_000,
      });
      expect(r.code, r.stderr).toBe(1);
      const out = `${r.stdout}\n${r.stderr}`;
      expect(out).toContain(`did not answer SSH on 127.0.0.1:${deadPort} after 2 tries of 2 s`);
      expect(out).toMatch(/last console lines \(.*console\.txt\):\n.*Kernel panic - not syncing/);
      await aws.ec2.settle();
      expect(aws.ec2.liveResources()).toEqual({ instances: [], securityGroups: [], keyPairs: [] });
    } finally {
      instanceOpts.backend = saved;
    }
  }, 300_000);

  it('a quota error from RunInstances: exit 3 with the way out, one call (no retry storm), nothing left', async () => {
    instanceOpts.instanceLimit = 0;
    const calls = aws.calls.get('RunInstances') ?? 0;
    try {
      const r = await kola(['run', ...awsArgs, 'basic.ssh', 'basic.hostname'], {
        cwd: root,
        env,
        timeoutMs: 300_000,
      });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('InstanceLimitExceeded');
      expect(r.stderr).toContain('ore aws gc');
      expect((aws.calls.get('RunInstances') ?? 0) - calls).toBe(1);
      await aws.ec2.settle();
      expect(aws.ec2.liveResources()).toEqual({ instances: [], securityGroups: [], keyPairs: [] });
    } finally {
      delete instanceOpts.instanceLimit;
    }
  }, 300_000);
});
