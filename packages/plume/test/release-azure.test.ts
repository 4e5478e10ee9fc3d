// plume release to an Azure Compute Gallery end to end, the built bin as its own process: the
// signed build in a file:// source, the VHD page blob in Azurite (a real Blob emulator), the
// gallery image version through ore's ARM layer — the real @azure/arm-compute client — against a
// local server of the documented Azure Resource Manager protocol (@mantle/test-utils/fake-arm: no
// ARM emulator exists), trusted through NODE_EXTRA_CA_CERTS. Faults: a real SIGKILL after the
// gallery step's work but before the journal records it, then --resume.
// Needs: pnpm --filter @mantle/plume... build
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertImage } from '@mantle/ore';
import { startFakeArm, type FakeArm } from '@mantle/test-utils/fake-arm';
import { detachSign, removeGpgKey, type GpgKey } from '@mantle/test-utils/gpg';
import { makeBuild, makeReleaseWorkspace } from './helpers/build-tree.js';
import { PLUME_BIN as BIN, spawnPlume } from './helpers/run.js';
import { AZURITE_ACCOUNT, startStores, type Stores } from './helpers/stores.js';

const SUB = '00000000-0000-0000-0000-00000000000a';
const GALLERY = `/subscriptions/${SUB}/resourceGroups/flatcar-rg/providers/Microsoft.Compute/galleries/flatcar_gallery`;

let dir: string;
let key: GpgKey;
let stores: Stores;
let arm: FakeArm;
let env: NodeJS.ProcessEnv;
let specFile: string;
let artifacts: string;

/** plume ARGS as its own process (so a SIGKILL kills plume, not the test). */
function plume(cmd: string, version: string, extraEnv: NodeJS.ProcessEnv = {}, ...more: string[]) {
  const argv = [cmd, '--spec', specFile, '-C', 'gal', '-B', 'amd64-usr', '-V', version];
  argv.push('--poll-interval', '0.02', ...stores.flags, ...more);
  return spawnPlume(argv, { ...env, ...extraEnv });
}

const stageBuild = (version: string) => makeBuild(join(dir, 'src', 'amd64', version), artifacts, version);

const versionsOf = () =>
  [...arm.resources.values()]
    .filter((r) => r.type === 'Microsoft.Compute/galleries/images/versions')
    .map((r) => r.name);

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm --filter @mantle/plume... build`);
  ({ dir, key, artifacts } = await makeReleaseWorkspace('plume-azure-'));
  const raw = join(dir, 'disk.bin');
  const fh = await open(raw, 'w');
  const head = Buffer.alloc(64 * 1024, 0x33);
  head[510] = 0x55;
  head[511] = 0xaa;
  await fh.write(head, 0, head.length, 0);
  await fh.truncate(4 * 1024 * 1024);
  await fh.close();
  await convertImage({
    input: raw,
    format: 'vhd',
    out: join(artifacts, 'flatcar_production_azure_image.vhd'),
  });
  execFileSync('bzip2', [join(artifacts, 'flatcar_production_azure_image.vhd')]);
  await detachSign(key, join(artifacts, 'flatcar_production_azure_image.vhd.bz2'), { armor: false });

  stores = await startStores({ buckets: [], containers: ['vhds'] });
  arm = await startFakeArm({ subscriptions: { [SUB]: ['flatcar-rg'] }, clients: { plume: 'plume-secret' } });
  const auth = await arm.writeAuthFile(join(dir, 'azure.json'), {
    clientId: 'plume',
    clientSecret: 'plume-secret',
    subscriptionId: SUB,
  });
  env = {
    ...stores.env,
    HOME: join(dir, 'home'),
    XDG_STATE_HOME: join(dir, 'state'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    AZURE_AUTH_LOCATION: auth,
    NODE_EXTRA_CA_CERTS: arm.certFile,
  };
  specFile = join(dir, 'spec.yaml');
  await writeFile(
    specFile,
    `channels:
  gal:
    boards: [amd64-usr]
    source: ${pathToFileURL(join(dir, 'src')).href}/{arch}/{version}/
    verifyKey: key.asc
    azure:
      blobs: azure://${AZURITE_ACCOUNT}/vhds
      gallery:
        resourceGroup: flatcar-rg
        name: flatcar_gallery
        imageDefinition: flatcar-{channel}
        regions: [westus, eastus]
`,
  );
}, 300_000);

afterAll(async () => {
  await arm?.close();
  await stores?.close();
  if (key) await removeGpgKey(key);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('plume release publishes an Azure gallery image version (fake ARM protocol server + Azurite)', () => {
  it('release publishes the version from the pre-released blob; a rerun changes nothing', async () => {
    await stageBuild('4081.2.0');
    const pre = await plume('pre-release', '4081.2.0');
    expect(pre.code, pre.stderr).toBe(0);
    const rel = await plume('release', '4081.2.0', {}, '--json');
    expect(rel.code, rel.stderr).toBe(0);
    const out = JSON.parse(rel.stdout) as { azure: { blob: string; galleryVersion: string } };
    expect(out.azure.galleryVersion).toBe(`${GALLERY}/images/flatcar-gal/versions/4081.2.0`);
    const v = arm.get(out.azure.galleryVersion)!;
    expect(v.tags).toMatchObject({ CreatedBy: 'mantle', channel: 'gal', version: '4081.2.0' });
    expect(v.properties).toMatchObject({
      provisioningState: 'Succeeded',
      publishingProfile: { targetRegions: [{ name: 'westus' }, { name: 'eastus' }] },
      storageProfile: {
        osDiskImage: {
          source: {
            uri: out.azure.blob,
            storageAccountId: `/subscriptions/${SUB}/resourceGroups/flatcar-rg/providers/Microsoft.Storage/storageAccounts/${AZURITE_ACCOUNT}`,
          },
        },
      },
    });
    expect(arm.get(`${GALLERY}/images/flatcar-gal`)?.properties).toMatchObject({
      osType: 'Linux',
      hyperVGeneration: 'V2',
    });

    const puts = arm.calls.get('versions.put');
    const again = await plume('release', '4081.2.0');
    expect(again.code, again.stderr).toBe(0);
    expect(arm.calls.get('versions.put')).toBe(puts);
    expect(versionsOf()).toEqual(['4081.2.0']);
  });

  it('killed after the gallery step, before the journal records it: --resume publishes no second version', async () => {
    await stageBuild('4082.0.0');
    expect((await plume('pre-release', '4082.0.0')).code).toBe(0);
    // release steps: 1 version.txt, 2 azure publish
    const killed = await plume('release', '4082.0.0', { PLUME_KILL_AFTER_STEP: '2' });
    expect(killed.signal).toBe('SIGKILL');
    expect(versionsOf().sort()).toEqual(['4081.2.0', '4082.0.0']);
    const puts = arm.calls.get('versions.put');
    const resumed = await plume('release', '4082.0.0', {}, '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(arm.calls.get('versions.put')).toBe(puts); // found, not made again
    expect(versionsOf().sort()).toEqual(['4081.2.0', '4082.0.0']);
  });
});
