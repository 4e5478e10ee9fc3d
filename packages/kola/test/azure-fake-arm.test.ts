// `kola run -p azure` (the built bin) end to end against a local HTTPS server speaking the Azure
// Resource Manager REST protocol (test-utils' fake-arm), which kola drives through ore and the real
// @azure/arm-compute and @azure/arm-network clients, authenticated by the OAuth2 client-credentials
// grant the fake checks. There is no ARM emulator: behind every VM the fake boots a real qemu VM
// (the tiny image) with the Ignition config decoded from the VM's customData and reports the VM's
// forwarded SSH port as a tag (kola reads it with KOLA_SSH_PORT_TAG); the NIC and public IP kola
// made get the VM's addresses. So the SSH and test path is real, and Ignition in a wrong field
// (userData, or not base64) would leave the flight's SSH key out of the VM: the run would fail.
// Two VM boots in all, one at a time.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@mantle/core/log';
import { startFakeArm, type FakeArm, type FakeArmResource } from '@mantle/test-utils/fake-arm';
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

const SUB = '00000000-0000-0000-0000-0000000000a2';
const RG = 'kola-rg';
const IMAGE = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/images/mantle-tiny`;
const logger = createLogger({ level: process.env.KOLA_TEST_DEBUG ? 'debug' : 'warn' });

let root: string;
let arm: FakeArm;
let qemu: QemuBackend;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (!existsSync(kolaBin)) throw new Error(`${kolaBin} is missing: run pnpm build`);
  await ensureTinyImage();
  root = await mkdtemp(join(tmpdir(), 'kola-azure-fake-arm-'));
  qemu = await qemuBackend({ root, logger, portTag: 'FakeSshPort' });
  arm = await startFakeArm({ subscriptions: { [SUB]: [RG] }, operationPolls: 1, backend: qemu.backend });
  arm.resources.set(IMAGE.toLowerCase(), {
    id: IMAGE,
    name: 'mantle-tiny',
    type: 'Microsoft.Compute/images',
    location: 'westus',
    tags: {},
    properties: { provisioningState: 'Succeeded', hyperVGeneration: 'V1' },
  });
  const auth = await arm.writeAuthFile(join(root, 'azure-auth.json'), {
    clientId: 'mantle-client',
    clientSecret: 'mantle-secret',
    subscriptionId: SUB,
  });
  await writeSlowTest(root);
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AZURE_|AWS_)/.test(k)));
  env = {
    ...clean,
    HOME: root,
    AZURE_AUTH_LOCATION: auth,
    NODE_EXTRA_CA_CERTS: arm.certFile,
    KOLA_STATE_DIR: join(root, 'state'),
    KOLA_SSH_PORT_TAG: 'FakeSshPort',
  };
}, 900_000);

afterAll(() => closeCloudTest(root, arm, qemu));

const azureArgs = (): string[] => [
  '-p',
  'azure',
  '--azure-image',
  IMAGE,
  '--azure-resource-group',
  RG,
  '--azure-size',
  'Standard_B2s',
];

/** What the fake holds besides the image (VMs, NICs, public IPs, vnets, subnets). */
const made = (): string[] =>
  [...arm.resources.values()].filter((r) => r.id !== IMAGE).map((r) => `${r.type} ${r.name}`);

describe('kola run -p azure against a fake ARM whose VMs are qemu VMs', () => {
  it('makes a tagged vnet, public IP, NIC and VM with Ignition as customData, SSHes in, runs the test, saves console.txt, deletes all', async () => {
    const { code, stderr, report, header, steps } = await runToEnd(
      root,
      env,
      [...azureArgs(), 'basic.ssh'],
      'out1',
    );
    expect(code, stderr).toBe(0);
    expect(report?.platform).toBe('azure');
    expect(report?.tests.map((t) => [t.name, t.result])).toEqual([['basic.ssh', 'PASS']]);
    expect(header.scope).toMatchObject({ subscription: SUB, resourceGroup: RG, location: 'westus' });
    expect(steps).toEqual([
      'run',
      'intent network',
      'created network',
      'intent instance',
      'intent public-ip',
      'created public-ip',
      'intent network-interface',
      'created network-interface',
      'created instance',
      'deleted network-interface',
      'deleted public-ip',
      'deleted instance',
      'deleted network',
      'finished',
    ]);
    // Nothing is left (the key directory beside the state file neither).
    await arm.settle();
    expect(made()).toEqual([]);
    expect(existsSync(join(root, 'state', 'runs', `${header.runId}.ssh`))).toBe(false);

    const ofRun = (type: string): FakeArmResource[] =>
      arm.created.filter((c) => c.type === type && c.tags.KolaRunId === header.runId);
    const [vm] = ofRun('Microsoft.Compute/virtualMachines');
    expect(ofRun('Microsoft.Network/virtualNetworks')).toHaveLength(1);
    expect(ofRun('Microsoft.Network/publicIPAddresses')).toHaveLength(1);
    expect(ofRun('Microsoft.Network/networkInterfaces')).toHaveLength(1);
    const p = vm!.properties as {
      hardwareProfile: { vmSize: string };
      storageProfile: { imageReference: { id: string } };
      osProfile: { customData: string };
      diagnosticsProfile: { bootDiagnostics: { enabled: boolean } };
    };
    expect(p.hardwareProfile.vmSize).toBe('Standard_B2s');
    expect(p.storageProfile.imageReference.id).toBe(IMAGE);
    expect(p.diagnosticsProfile.bootDiagnostics.enabled).toBe(true);
    const ign = JSON.parse(Buffer.from(p.osProfile.customData, 'base64').toString('utf8')) as {
      ignition: { version: string };
      passwd?: unknown;
    };
    expect(ign.ignition.version).toMatch(/^3\./);
    expect(JSON.stringify(ign.passwd)).toContain('ssh-ed25519');
    expect(vm!.tags).toMatchObject({ CreatedBy: 'mantle', KolaRunId: header.runId });
    expect(Date.parse(vm!.tags.ExpiresAt ?? '')).toBeGreaterThan(Date.now());
    const consoleText = await machineConsole(root, 'out1', 'basic.ssh');
    expect(consoleText).toContain('mantle-tiny');
  }, 900_000);

  it('SIGKILL mid-run leaves a state file; kola cleanup RUN deletes exactly that run, its key dir too', async () => {
    const k = await startSlowRun(root, env, azureArgs(), {
      out: 'out2',
      what: 'a running VM of the run',
      up: () =>
        [...arm.resources.values()].some(
          (r) =>
            r.type === 'Microsoft.Compute/virtualMachines' && r.properties.provisioningState === 'Succeeded',
        ),
    });
    k.child.kill('SIGKILL');
    await k.done;
    const file = await k.runFile();
    const runId = file.replace(/\.jsonl$/, '');
    expect(existsSync(join(root, 'state', 'runs', `${runId}.ssh`, 'id_ed25519'))).toBe(true);
    // Another run's public IP (same CreatedBy, other run id) must survive this cleanup.
    const other = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/publicIPAddresses/other-ip`;
    arm.resources.set(other.toLowerCase(), {
      id: other,
      name: 'other-ip',
      type: 'Microsoft.Network/publicIPAddresses',
      location: 'westus',
      tags: { CreatedBy: 'mantle', KolaRunId: 'kola-20200101-0000-abcdef' },
      properties: { provisioningState: 'Succeeded' },
    });
    // Credentials come from the run's state file: no flag, no AZURE_AUTH_LOCATION.
    const c = await kola(['cleanup', runId], {
      cwd: root,
      env: { ...env, AZURE_AUTH_LOCATION: undefined },
      timeoutMs: 600_000,
    });
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain(`${runId}: deleted instance kola-`);
    await arm.settle();
    expect(made()).toEqual(['Microsoft.Network/publicIPAddresses other-ip']);
    arm.resources.delete(other.toLowerCase());
    expect(qemu.running()).toEqual([]);
    expect((await journalLines(root, file)).at(-1)?.type).toBe('finished');
    // The flight's SSH key lived beside the state file, never in /tmp; cleanup removed it.
    expect(existsSync(join(root, 'state', 'runs', `${runId}.ssh`))).toBe(false);
  }, 900_000);
});

describe('kola run -p azure bad inputs (fake ARM; no VM is made)', () => {
  it('no --azure-image or group, an unknown location or size, a missing image: exit 2 naming the flag', async () => {
    const puts = arm.calls.get('virtualMachines.put');
    const run = (args: string[]) =>
      kola(['run', ...args, 'basic.ssh'], { cwd: root, env, timeoutMs: 120_000 });
    const noImage = await run(['-p', 'azure', '--azure-resource-group', RG]);
    expect(noImage.code, noImage.stderr).toBe(2);
    expect(noImage.stderr).toContain('--azure-image');
    const noGroup = await run(['-p', 'azure', '--azure-image', IMAGE]);
    expect(noGroup.code, noGroup.stderr).toBe(2);
    expect(noGroup.stderr).toContain('--azure-resource-group');
    const location = await run([...azureArgs(), '--azure-location', 'nowhere9']);
    expect(location.code, location.stderr).toBe(2);
    expect(location.stderr).toContain('--azure-location nowhere9');
    const size = await run([...azureArgs().slice(0, -1), 'Standard_Z99']);
    expect(size.code, size.stderr).toBe(2);
    expect(size.stderr).toContain('--azure-size Standard_Z99');
    const image = await run([
      ...azureArgs().slice(0, 2),
      '--azure-image',
      `${IMAGE}-gone`,
      '--azure-resource-group',
      RG,
    ]);
    expect(image.code, image.stderr).toBe(2);
    // (the subscription id is redacted as a credential field)
    expect(image.stderr).toMatch(
      /--azure-image \/subscriptions\/\S+\/images\/mantle-tiny-gone: no such image/,
    );
    expect(arm.calls.get('virtualMachines.put')).toBe(puts);
    expect(made()).toEqual([]);
  }, 300_000);

  it('a quota error from the VM create: exit 3 with the way out, one call (no retry storm), nothing left', async () => {
    arm.quota.vms = 0;
    const puts = arm.calls.get('virtualMachines.put');
    try {
      const r = await kola(['run', ...azureArgs(), 'basic.ssh', 'basic.hostname'], {
        cwd: root,
        env,
        timeoutMs: 300_000,
      });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('quota');
      expect(r.stderr).toContain('quota increase');
      expect(arm.calls.get('virtualMachines.put') - puts).toBe(1);
      await arm.settle();
      expect(made()).toEqual([]);
    } finally {
      arm.quota.vms = undefined;
    }
  }, 300_000);

  it('--dry-run prints the plan and its cost from the price table and makes no ARM call', async () => {
    const before = [...arm.calls.calls.values()].reduce((a, b) => a + b, 0);
    const r = await kola(['run', ...azureArgs(), '--dry-run', 'basic.ssh'], {
      cwd: root,
      env,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('plan: 1 test(s) on azure westus, Standard_B2s');
    expect(r.stdout).toMatch(/≈ [\d.]+ instance-hours × 0\.0416 USD\/h/);
    expect([...arm.calls.calls.values()].reduce((a, b) => a + b, 0)).toBe(before);
  }, 120_000);
});
