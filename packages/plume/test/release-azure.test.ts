// plume release to an Azure Compute Gallery end to end, the built bin as its own process: the
// signed build in a file:// source, the VHD page blob in Azurite (a real Blob emulator), the
// gallery image version through ore's ARM layer — the real @azure/arm-compute client — against a
// local server of the documented Azure Resource Manager protocol (@mantle/test-utils/fake-arm: no
// ARM emulator exists), trusted through NODE_EXTRA_CA_CERTS; the gallery shared publicly as a
// community gallery (sharing profile + the share action, a long-running operation). Faults: a real
// SIGKILL after every release step (before and after the journal records it), then --resume.
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
import { PLUME_BIN as BIN, prunePlan, spawnPlume } from './helpers/run.js';
import { AZURITE_ACCOUNT, startStores, type Stores } from './helpers/stores.js';

const SUB = '00000000-0000-0000-0000-00000000000a';
const COMPUTE = `/subscriptions/${SUB}/resourceGroups/flatcar-rg/providers/Microsoft.Compute`;
const GALLERY = `${COMPUTE}/galleries/flatcar_gallery`;
const KILL_GALLERY = `${COMPUTE}/galleries/kill_gallery`;

let dir: string;
let key: GpgKey;
let stores: Stores;
let arm: FakeArm;
let env: NodeJS.ProcessEnv;
let specFile: string;
let artifacts: string;

/** plume ARGS as its own process (so a SIGKILL kills plume, not the test). */
function plume(cmd: string, version: string, extraEnv: NodeJS.ProcessEnv = {}, ...more: string[]) {
  return plumeIn('gal', cmd, version, extraEnv, ...more);
}

function plumeIn(
  channel: string,
  cmd: string,
  version: string,
  extraEnv: NodeJS.ProcessEnv = {},
  ...more: string[]
) {
  const argv = [cmd, '--spec', specFile, '-C', channel, '-B', 'amd64-usr', '-V', version];
  if (cmd !== 'status') argv.push('--poll-interval', '0.02');
  argv.push(...stores.flags, ...more);
  return spawnPlume(argv, { ...env, ...extraEnv });
}

const stageBuild = (version: string) => makeBuild(join(dir, 'src', 'amd64', version), artifacts, version);

const versionsOf = (gallery = GALLERY) =>
  [...arm.resources.values()]
    .filter((r) => r.type === 'Microsoft.Compute/galleries/images/versions' && r.id.startsWith(`${gallery}/`))
    .map((r) => r.name);

const COMMUNITY = `
        community:
          publisherUri: https://www.flatcar.org/
          publisherContact: infra@flatcar-linux.org
          eula: https://www.flatcar.org/docs/latest/
          publicNamePrefix: flatcar4test`;

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
        regions: [westus, eastus]${COMMUNITY}
  kill:
    boards: [amd64-usr]
    source: ${pathToFileURL(join(dir, 'src')).href}/{arch}/{version}/
    verifyKey: key.asc
    azure:
      blobs: azure://${AZURITE_ACCOUNT}/vhds
      blobName: kill-{version}.vhd
      gallery:
        resourceGroup: flatcar-rg
        name: kill_gallery
        imageDefinition: flatcar-{channel}
        regions: [westus]${COMMUNITY}
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

    // shared as a community gallery: the sharing profile with the spec's publisher, then enabled
    const sharing = arm.get(GALLERY)!.properties.sharingProfile as {
      permissions: string;
      communityGalleryInfo: Record<string, unknown> & { publicNames: string[] };
    };
    expect(sharing.permissions).toBe('Community');
    expect(sharing.communityGalleryInfo).toMatchObject({
      publisherUri: 'https://www.flatcar.org/',
      publisherContact: 'infra@flatcar-linux.org',
      eula: 'https://www.flatcar.org/docs/latest/',
      publicNamePrefix: 'flatcar4test',
      communityGalleryEnabled: true,
    });
    const [publicName] = sharing.communityGalleryInfo.publicNames;
    expect(publicName).toMatch(/^flatcar4test-[0-9a-f-]{36}$/);
    const community = `/CommunityGalleries/${publicName}/Images/flatcar-gal/Versions/4081.2.0`;
    expect(
      (out.azure as unknown as { community: { publicNames: string[]; communityVersion: string } }).community,
    ).toMatchObject({ publicNames: [publicName], communityVersion: community, changed: true });
    expect(arm.calls.get('galleries.share')).toBe(1);

    const st = await plume('status', '4081.2.0', {}, '--json');
    expect(st.code, st.stderr).toBe(0);
    expect((JSON.parse(st.stdout) as { published: { azure: unknown } }).published.azure).toEqual({
      blob: out.azure.blob,
      galleryVersion: out.azure.galleryVersion,
      shared: true,
      publicNames: [publicName],
      communityVersion: community,
    });
    const text = await plume('status', '4081.2.0');
    expect(text.stdout).toContain(
      `Azure gallery version ${out.azure.galleryVersion} public (community gallery)`,
    );
    expect(text.stdout).toContain(`Azure community image ${community}`);

    const puts = arm.calls.get('versions.put');
    const again = await plume('release', '4081.2.0');
    expect(again.code, again.stderr).toBe(0);
    expect(arm.calls.get('versions.put')).toBe(puts);
    expect(arm.calls.get('galleries.share')).toBe(1);
    expect(versionsOf()).toEqual(['4081.2.0']);
  });

  // release steps: 1 version.txt, 2 gallery version, 3 community sharing; each N killed (before
  // the journal records the step for odd N, after it for even N; a fresh version each), with the
  // gallery's sharing reset first so every run has it to do
  const REL_STEPS = 3;
  for (let n = 1; n <= REL_STEPS; n++) {
    const when = n % 2 === 0 ? ':recorded' : '';
    it(`killed after release step ${n}${when}: --resume publishes and shares once`, async () => {
      const v = `4082.${n}.0`;
      await stageBuild(v);
      expect((await plumeIn('kill', 'pre-release', v)).code).toBe(0);
      if (n === 1) {
        // status before release: the pre-released blob, no gallery version, not shared
        const st = await plumeIn('kill', 'status', v, {}, '--json');
        expect(st.code, st.stderr).toBe(0);
        expect((JSON.parse(st.stdout) as { published: { azure: unknown } }).published.azure).toEqual({
          blob: expect.stringContaining(`kill-${v}.vhd`) as unknown,
          shared: false,
        });
        expect((await plumeIn('kill', 'status', v)).stdout).toContain('Azure gallery version: none yet');
      }
      const g = arm.get(KILL_GALLERY);
      if (g) g.properties.sharingProfile = { permissions: 'Private' };
      const before = versionsOf(KILL_GALLERY).length;
      const shares = arm.calls.get('galleries.share');
      const killed = await plumeIn('kill', 'release', v, { PLUME_KILL_AFTER_STEP: `${n}${when}` });
      expect(killed.signal).toBe('SIGKILL');
      const resumed = await plumeIn('kill', 'release', v, {}, '--resume', '--json');
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(versionsOf(KILL_GALLERY)).toHaveLength(before + 1);
      expect(arm.calls.get('galleries.share')).toBe(shares + 1);
      const sp = arm.get(KILL_GALLERY)!.properties.sharingProfile as {
        communityGalleryInfo?: { communityGalleryEnabled?: boolean };
      };
      expect(sp.communityGalleryInfo?.communityGalleryEnabled).toBe(true);
      const puts = arm.calls.get('versions.put');
      const again = await plumeIn('kill', 'release', v);
      expect(again.code, again.stderr).toBe(0);
      expect(arm.calls.get('versions.put')).toBe(puts);
      expect(arm.calls.get('galleries.share')).toBe(shares + 1);
    });
  }

  it('prune deletes the gallery versions and blobs of the releases beyond --keep (dry run first)', async () => {
    // the kill tests released 4082.1.0, 4082.2.0 and 4082.3.0 to the kill channel
    const prune = (...more: string[]) =>
      spawnPlume(
        [
          'prune',
          '--spec',
          specFile,
          '-C',
          'kill',
          '--keep',
          '1',
          '--poll-interval',
          '0.02',
          ...stores.flags,
          ...more,
        ],
        env,
      );
    const plan = prunePlan(await prune('--json'));
    expect(plan.kept).toEqual({ 'amd64-usr': ['4082.3.0'] });
    expect(plan.skipped).toEqual([]);
    expect(plan.targets.map((t) => `${t.version} ${t.kind}`).sort()).toEqual([
      '4082.1.0 azure-blob',
      '4082.1.0 azure-gallery-version',
      '4082.2.0 azure-blob',
      '4082.2.0 azure-gallery-version',
    ]);
    expect(versionsOf(KILL_GALLERY)).toHaveLength(3); // a dry run
    const done = await prune('--yes');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(
      `deleted amd64-usr 4082.1.0 ${KILL_GALLERY}/images/flatcar-kill ${KILL_GALLERY}/images/flatcar-kill/versions/4082.1.0`,
    );
    expect(versionsOf(KILL_GALLERY)).toEqual(['4082.3.0']);
    expect(versionsOf()).toEqual(['4081.2.0']); // another channel's gallery
    const vhds = await stores.open(`azure://${AZURITE_ACCOUNT}/vhds/`);
    try {
      const keys: string[] = [];
      for await (const o of vhds.list('', { recursive: true })) keys.push(o.key);
      expect(keys.filter((k) => k.startsWith('kill-'))).toEqual(['kill-4082.3.0.vhd']);
    } finally {
      await vhds.close();
    }
    expect(prunePlan(await prune('--json')).targets).toEqual([]);
  });
});
