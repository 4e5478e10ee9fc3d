// Integration: `ore azure create-image | create-gallery-image | list-images | list-gallery-versions
// | delete-image | gc` (the built bin) with the real @azure/arm-compute client against a local
// server of the documented Azure Resource Manager protocol (@mantle/test-utils/fake-arm: no ARM
// emulator exists; long-running operations with Azure-AsyncOperation polling, bearer tokens from
// its OAuth2 client-credentials endpoint, HTTPS with a throwaway CA in NODE_EXTRA_CA_CERTS), and
// the VHD uploaded first by `ore azure upload-blob` to Azurite (a real Blob emulator).
// Needs: pnpm --filter @mantle/core --filter @mantle/ore build
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  azuriteService,
  startAzurite,
  type AzuriteHandle,
} from '@mantle/test-utils/azurite';
import { startFakeArm, type FakeArm } from '@mantle/test-utils/fake-arm';
import { azureArm } from '../src/azure/arm-clients.js';
import {
  azureVmConsole,
  createAzureVm,
  deleteAzureVm,
  getAzureVm,
  waitAzureVmRunning,
} from '../src/azure/instances.js';
import {
  azureNicAddresses,
  createAzureNic,
  createAzurePublicIp,
  createAzureVnet,
  deleteAzureNetResource,
  listAzureNetResources,
} from '../src/azure/network.js';
import { jsonError, requireOreBuild, runOre } from './helpers/ore-bin.js';

const MIB = 1024 * 1024;
const SUB = '00000000-0000-0000-0000-000000000001';
const RG = 'mantle-rg';
const SECRET = 'arm-secret-value-9f3a';
const COMPUTE = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute`;

let dir: string;
let azurite: AzuriteHandle;
let arm: FakeArm;
let env: NodeJS.ProcessEnv;
let blobUrl: string;

function ore(args: string[], extraEnv: NodeJS.ProcessEnv = {}): ReturnType<typeof runOre> {
  return runOre(dir, ['azure', ...args], { env: { ...env, ...extraEnv } });
}

const opts = ['--location', 'westus', '--poll-interval', '20ms', '--json'];
const common = ['--resource-group', RG, ...opts];
/** ore's library client against the fake (what kola uses in-process). */
const library = () =>
  azureArm({
    subscriptionId: SUB,
    credentials: {
      clientId: 'mantle-client',
      clientSecret: SECRET,
      tenantId: 't',
      activeDirectoryEndpointUrl: arm.endpoint,
      resourceManagerEndpointUrl: arm.endpoint,
    },
    ca: arm.cert,
    pollMs: 20,
  });

const blob = ['--storage-account', AZURITE_ACCOUNT, '--blob-name', 'flatcar.vhd'];

beforeAll(async () => {
  await requireOreBuild();
  dir = await mkdtemp(join(tmpdir(), 'mantle-ore-azure-arm-'));
  azurite = await startAzurite();
  const container = (await azuriteService(azurite)).getContainerClient('vhds');
  await container.create();
  arm = await startFakeArm({
    subscriptions: { [SUB]: [RG] },
    clients: { 'mantle-client': SECRET },
    // Azure refuses an image of a blob that is not there: ask Azurite
    blobExists: (uri) => container.getBlobClient(decodeURIComponent(uri.split('/vhds/')[1] ?? '')).exists(),
  });
  const authFile = await arm.writeAuthFile(join(dir, 'azure-auth.json'), {
    clientId: 'mantle-client',
    clientSecret: SECRET,
    subscriptionId: SUB,
  });
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AZURE_')));
  env = {
    ...clean,
    HOME: join(dir, 'home'),
    AZURE_AUTH_LOCATION: authFile,
    NODE_EXTRA_CA_CERTS: arm.certFile,
    AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${azurite.endpoint};`,
  };
  const disk = Buffer.alloc(8 * MIB);
  disk.fill(0x46, 4096, 300_000);
  disk[510] = 0x55; // an MBR signature: a disk image, as upload-blob checks
  disk[511] = 0xaa;
  const fh = await open(join(dir, 'flatcar.bin'), 'w');
  await fh.write(disk, 0, disk.length, 0);
  await fh.close();
  const up = await ore([
    'upload-blob',
    '--file',
    'flatcar.bin',
    '--storage-account',
    AZURITE_ACCOUNT,
    '--json',
  ]);
  expect(up.exitCode, up.stderr).toBe(0);
  blobUrl = (JSON.parse(up.stdout) as { url: string }).url;
});

afterAll(async () => {
  await arm?.close();
  await azurite?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ore azure against a local server of the documented ARM protocol (+ Azurite)', () => {
  it('create-image makes a managed image of the uploaded blob, polling the operation; a rerun reuses it', async () => {
    arm.calls.throttle.set('images.put', 1); // the SDK retries a 429 after its Retry-After
    const res = await ore(['create-image', '--image-name', 'flatcar-test', ...blob, ...common]);
    expect(res.exitCode, res.stderr).toBe(0);
    const img = JSON.parse(res.stdout) as {
      id: string;
      provisioningState: string;
      reused: boolean;
      blobUri: string;
    };
    expect(img).toMatchObject({
      id: `${COMPUTE}/images/flatcar-test`,
      provisioningState: 'Succeeded',
      reused: false,
    });
    expect(img.blobUri).toBe(blobUrl);
    expect(arm.calls.get('images.put')).toBe(2);
    expect(arm.calls.get('operations.get')).toBeGreaterThanOrEqual(2);
    const stored = arm.get(`${COMPUTE}/images/flatcar-test`)!;
    expect(stored.tags.CreatedBy).toBe('mantle');
    expect(stored.properties).toMatchObject({
      provisioningState: 'Succeeded',
      storageProfile: { osDisk: { osType: 'Linux', osState: 'Generalized', blobUri: blobUrl } },
    });
    expect(res.stderr).not.toContain(SECRET);

    const again = await ore(['create-image', '--image-name', 'flatcar-test', ...blob, ...common]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ reused: true });
    expect(arm.calls.get('images.put')).toBe(2);
  });

  it('create-gallery-image makes gallery, definition and version (from the blob and from the image); reruns change nothing', async () => {
    const gal = ['--gallery-name', 'mantle_gallery', '--image-definition', 'flatcar-stable'];
    const fromBlob = await ore([
      'create-gallery-image',
      ...gal,
      '--image-version',
      '4081.2.0',
      ...blob,
      ...common,
    ]);
    expect(fromBlob.exitCode, fromBlob.stderr).toBe(0);
    expect(JSON.parse(fromBlob.stdout)).toMatchObject({
      version: '4081.2.0',
      provisioningState: 'Succeeded',
      regions: ['westus'],
      source: blobUrl,
      reused: false,
    });
    expect(arm.get(`${COMPUTE}/galleries/mantle_gallery/images/flatcar-stable`)?.properties).toMatchObject({
      osType: 'Linux',
      hyperVGeneration: 'V2',
      identifier: { publisher: 'flatcar', offer: 'flatcar-container-linux', sku: 'flatcar-stable' },
    });
    const v1 = ['--image-definition', 'flatcar-v1', '--hyper-v-generation', 'V1'];
    const fromImage = await ore([
      'create-gallery-image',
      '--gallery-name',
      'mantle_gallery',
      ...v1,
      '--image-version',
      '1.0.0',
      '--source-image',
      'flatcar-test',
      '--target-regions',
      'westus,eastus',
      ...common,
    ]);
    expect(fromImage.exitCode, fromImage.stderr).toBe(0);
    expect(JSON.parse(fromImage.stdout)).toMatchObject({
      source: `${COMPUTE}/images/flatcar-test`,
      regions: ['westus', 'eastus'],
    });

    const puts = ['galleries.put', 'galleryImages.put', 'versions.put'].map((k) => arm.calls.get(k));
    const rerun = await ore([
      'create-gallery-image',
      ...gal,
      '--image-version',
      '4081.2.0',
      ...blob,
      ...common,
    ]);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ reused: true });
    expect(['galleries.put', 'galleryImages.put', 'versions.put'].map((k) => arm.calls.get(k))).toEqual(puts);

    // versions are immutable: the same version of another source is refused
    const other = await ore([
      'create-gallery-image',
      ...gal,
      '--image-version',
      '4081.2.0',
      '--source-image',
      'flatcar-test',
      ...common,
    ]);
    expect(other.exitCode).toBe(2);
    expect(jsonError(other.stderr).code).toBe('AZURE_VERSION_EXISTS');

    const list = await ore(['list-gallery-versions', ...gal, ...common]);
    expect(list.exitCode, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { version: string }[]).map((v) => v.version)).toEqual(['4081.2.0']);
  });

  it('list-images pages through the listing; gc --dry-run deletes nothing, gc deletes only what is old and ours', async () => {
    // two more images, one not made by ore, so the listing has pages (the fake answers 2 a page)
    for (const n of ['flatcar-new', 'flatcar-old']) {
      const r = await ore(['create-image', '--image-name', n, ...blob, ...common]);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    arm.get(`${COMPUTE}/images/flatcar-new`)!.tags = { owner: 'someone' };
    const listed = await ore(['list-images', ...common]);
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((i) => i.name)).toEqual([
      'flatcar-old',
      'flatcar-test',
    ]);
    const all = await ore(['list', '--all', ...common]);
    expect((JSON.parse(all.stdout) as unknown[]).length).toBe(3);

    const dayAgo = new Date(Date.now() - 24 * 3600_000).toISOString();
    arm.get(`${COMPUTE}/images/flatcar-old`)!.tags.CreatedAt = dayAgo;
    arm.get(`${COMPUTE}/images/flatcar-new`)!.tags.CreatedAt = dayAgo; // old but not ours
    const version = arm.get(`${COMPUTE}/galleries/mantle_gallery/images/flatcar-v1/versions/1.0.0`)!;
    (version.properties.publishingProfile as { publishedDate: string }).publishedDate = dayAgo;

    const gc = ['gc', '--older-than', '5h', '--gallery-name', 'mantle_gallery', ...common];
    const dry = await ore([...gc, '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      images: { name: string }[];
      versions: { version: string }[];
    };
    expect(planned.dryRun).toBe(true);
    expect(planned.images.map((i) => i.name)).toEqual(['flatcar-old']);
    expect(planned.versions.map((v) => v.version)).toEqual(['1.0.0']);
    expect(arm.get(`${COMPUTE}/images/flatcar-old`)).toBeDefined();

    const done = await ore(gc);
    expect(done.exitCode, done.stderr).toBe(0);
    expect(arm.get(`${COMPUTE}/images/flatcar-old`)).toBeUndefined();
    expect(arm.get(version.id)).toBeUndefined();
    expect(arm.get(`${COMPUTE}/images/flatcar-new`)).toBeDefined();
    expect(arm.get(`${COMPUTE}/images/flatcar-test`)).toBeDefined();
    expect(
      arm.get(`${COMPUTE}/galleries/mantle_gallery/images/flatcar-stable/versions/4081.2.0`),
    ).toBeDefined();

    const del = await ore(['delete-image', '--image-name', 'flatcar-new', ...common]);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(JSON.parse(del.stdout)).toMatchObject({ deleted: true });
    const gone = await ore(['delete-image', '--image-name', 'flatcar-new', ...common]);
    expect(JSON.parse(gone.stdout)).toMatchObject({ deleted: false });
  });

  it('refuses bad input before any call, and names credentials and resource groups Azure refuses', async () => {
    const before = arm.calls.get('token');
    const badGallery = await ore([
      'create-gallery-image',
      '--gallery-name',
      'has-hyphen',
      '--image-definition',
      'd',
      '--image-version',
      '1.0.0',
      ...blob,
      ...common,
    ]);
    expect(badGallery.exitCode).toBe(2);
    expect(jsonError(badGallery.stderr)).toMatchObject({ code: 'CLOUD_BAD_NAME' });
    const badVersion = await ore([
      'create-gallery-image',
      '--gallery-name',
      'g',
      '--image-definition',
      'd',
      '--image-version',
      '1.0',
      ...blob,
      ...common,
    ]);
    expect(jsonError(badVersion.stderr).message).toContain('--image-version');
    const badImage = await ore(['create-image', '--image-name', 'bad name!', ...blob, ...common]);
    expect(badImage.exitCode).toBe(2);
    expect(arm.calls.get('token')).toBe(before);

    const noBlob = await ore([
      'create-image',
      '--image-name',
      'x',
      '--storage-account',
      AZURITE_ACCOUNT,
      '--blob-name',
      'missing.vhd',
      ...common,
    ]);
    expect(noBlob.exitCode).toBe(2);
    expect(jsonError(noBlob.stderr).code).toBe('AZURE_BLOB_MISSING');

    const noGroup = await ore(['list-images', ...opts, '--resource-group', 'other-rg']);
    expect(noGroup.exitCode).toBe(2);
    expect(jsonError(noGroup.stderr)).toMatchObject({ code: 'AZURE_UNKNOWN_RESOURCE_GROUP' });

    const wrong = await arm.writeAuthFile(join(dir, 'wrong.json'), {
      clientId: 'mantle-client',
      clientSecret: 'not-it-7781',
      subscriptionId: SUB,
    });
    const refused = await ore(['list-images', ...common, '--azure-config-file', wrong]);
    expect(refused.exitCode).toBe(3);
    const e = jsonError(refused.stderr);
    expect(e.code).toBe('AZURE_AUTH');
    expect(e.message).toContain(wrong);
    expect(refused.stderr).not.toContain('not-it-7781');

    const dry = await ore(['create-image', '--image-name', 'dry', ...blob, ...common, '--dry-run'], {
      AZURE_AUTH_LOCATION: join(dir, 'none.json'),
    });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(
      (JSON.parse(dry.stdout) as { dryRun: { operation: string }[] }).dryRun.map((c) => c.operation),
    ).toEqual(['images.get', 'images.createOrUpdate']);
    expect(arm.get(`${COMPUTE}/images/dry`)).toBeUndefined();
  });

  it('the library makes a VM with the Ignition config as customData, reads its console, deletes it (as kola will)', async () => {
    const lib = library();
    const ignition = JSON.stringify({ ignition: { version: '3.3.0' } });
    const vm = await createAzureVm(lib, {
      resourceGroup: RG,
      name: 'kola-vm-1',
      location: 'westus',
      imageId: `${COMPUTE}/images/flatcar-test`,
      subnetId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/kola/subnets/default`,
      ignition,
      sshPublicKey: 'ssh-ed25519 AAAAC3Nza test',
    });
    expect(vm).toMatchObject({ name: 'kola-vm-1', provisioningState: 'Succeeded' });
    const stored = arm.get(`${COMPUTE}/virtualMachines/kola-vm-1`)!;
    const os = stored.properties.osProfile as { customData: string };
    expect(Buffer.from(os.customData, 'base64').toString()).toBe(ignition);
    expect(stored.tags.CreatedBy).toBe('mantle');
    expect((await getAzureVm(lib, RG, 'kola-vm-1'))?.powerState).toBe('running');
    expect(await azureVmConsole(lib, RG, 'kola-vm-1')).toBe('');
    arm.consoles.set('kola-vm-1', 'Flatcar Container Linux\nlocalhost login:');
    expect(await azureVmConsole(lib, RG, 'kola-vm-1')).toContain('login:');
    expect(await deleteAzureVm(lib, RG, 'kola-vm-1')).toBe(true);
    expect(await getAzureVm(lib, RG, 'kola-vm-1')).toBeUndefined();
    expect(await deleteAzureVm(lib, RG, 'kola-vm-1')).toBe(false);
  });

  it('the Network layer: vnet, public IP and NIC for a VM, addresses read back, deletes refused while in use', async () => {
    const lib = library();
    const tags = { KolaRunId: 'kola-20261207-1800-abcdef' };
    const at = { resourceGroup: RG, location: 'westus', tags };
    const vnet = await createAzureVnet(lib, { ...at, name: 'kola-net' });
    expect(vnet.subnetId).toMatch(/\/virtualNetworks\/kola-net\/subnets\/default$/);
    const ip = await createAzurePublicIp(lib, { ...at, name: 'vm-2-ip' });
    const nic = await createAzureNic(lib, {
      ...at,
      name: 'vm-2-nic',
      subnetId: vnet.subnetId,
      publicIpId: ip.id,
    });
    await createAzureVm(lib, {
      ...at,
      name: 'vm-2',
      imageId: `${COMPUTE}/images/flatcar-test`,
      networkInterfaceId: nic.id,
      ignition: '{}',
      wait: false,
    });
    expect((await waitAzureVmRunning(lib, RG, 'vm-2', { pollMs: 20 })).powerState).toBe('running');
    const addr = await azureNicAddresses(lib, RG, 'vm-2-nic');
    expect(addr?.privateIp).toMatch(/^10\.0\.0\.\d+$/);
    expect(addr?.publicIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect((await listAzureNetResources(lib, 'networkInterfaces', RG, tags)).map((r) => r.name)).toEqual([
      'vm-2-nic',
    ]);
    // ARM's order: the NIC is the VM's, the IP the NIC's, the subnet holds the NIC
    await expect(deleteAzureNetResource(lib, 'networkInterfaces', RG, 'vm-2-nic')).rejects.toThrow(
      /NicInUse/,
    );
    expect(await deleteAzureVm(lib, RG, 'vm-2')).toBe(true);
    await expect(deleteAzureNetResource(lib, 'publicIPAddresses', RG, 'vm-2-ip')).rejects.toThrow(
      /PublicIPAddressCannotBeDeleted/,
    );
    await expect(deleteAzureNetResource(lib, 'virtualNetworks', RG, 'kola-net')).rejects.toThrow(
      /InUseSubnetCannotBeDeleted/,
    );
    expect(await deleteAzureNetResource(lib, 'networkInterfaces', RG, 'vm-2-nic')).toBe(true);
    expect(await deleteAzureNetResource(lib, 'publicIPAddresses', RG, 'vm-2-ip')).toBe(true);
    expect(await deleteAzureNetResource(lib, 'virtualNetworks', RG, 'kola-net')).toBe(true);
    expect(await deleteAzureNetResource(lib, 'virtualNetworks', RG, 'kola-net')).toBe(false);
    expect([...arm.resources.values()].filter((r) => r.type.startsWith('Microsoft.Network/'))).toEqual([]);
  });

  it('gc deletes old VMs of ours, then their NICs, public IPs and vnets; keeps young, foreign and in-use ones', async () => {
    const lib = library();
    const NET = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network`;
    const dayAgo = new Date(Date.now() - 24 * 3600_000).toISOString();
    const at = { resourceGroup: RG, location: 'westus' };
    const machine = async (p: string): Promise<void> => {
      const vnet = await createAzureVnet(lib, { ...at, name: `${p}-net` });
      const ip = await createAzurePublicIp(lib, { ...at, name: `${p}-ip` });
      const nic = await createAzureNic(lib, {
        ...at,
        name: `${p}-nic`,
        subnetId: vnet.subnetId,
        publicIpId: ip.id,
      });
      await createAzureVm(lib, {
        ...at,
        name: `${p}-vm`,
        imageId: `${COMPUTE}/images/flatcar-test`,
        networkInterfaceId: nic.id,
        ignition: '{}',
        wait: false,
      });
    };
    await machine('old');
    await machine('young');
    await machine('other');
    for (const p of ['old', 'other']) {
      for (const k of ['virtualNetworks/%-net', 'publicIPAddresses/%-ip', 'networkInterfaces/%-nic'])
        arm.get(`${NET}/${k.replace('%', p)}`)!.tags.CreatedAt = dayAgo;
      arm.get(`${COMPUTE}/virtualMachines/${p}-vm`)!.tags.CreatedAt = dayAgo;
    }
    // an old VM that is not ours: it and the (old, ours) network pieces it uses stay
    delete arm.get(`${COMPUTE}/virtualMachines/other-vm`)!.tags.CreatedBy;
    const names = (r: {
      vms: string[];
      nics: string[];
      publicIps: string[];
      vnets: string[];
    }): string[][] => [r.vms, r.nics, r.publicIps, r.vnets];
    const expected = [['old-vm'], ['old-nic'], ['old-ip'], ['old-net']];

    const dry = await ore(['gc', '--older-than', '5h', '--dry-run', ...common]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(names(JSON.parse(dry.stdout) as Parameters<typeof names>[0])).toEqual(expected);
    expect(arm.get(`${COMPUTE}/virtualMachines/old-vm`)).toBeDefined();
    expect(arm.get(`${NET}/virtualNetworks/old-net`)).toBeDefined();

    const gc = await ore(['gc', '--older-than', '5h', ...common]);
    expect(gc.exitCode, gc.stderr).toBe(0);
    expect(names(JSON.parse(gc.stdout) as Parameters<typeof names>[0])).toEqual(expected);
    expect(arm.get(`${COMPUTE}/virtualMachines/old-vm`)).toBeUndefined();
    for (const k of ['virtualNetworks/old-net', 'publicIPAddresses/old-ip', 'networkInterfaces/old-nic'])
      expect(arm.get(`${NET}/${k}`), k).toBeUndefined();
    for (const p of ['young', 'other']) {
      expect(arm.get(`${COMPUTE}/virtualMachines/${p}-vm`)).toBeDefined();
      for (const k of ['virtualNetworks/%-net', 'publicIPAddresses/%-ip', 'networkInterfaces/%-nic'])
        expect(arm.get(`${NET}/${k.replace('%', p)}`), k).toBeDefined();
    }
  });
});
