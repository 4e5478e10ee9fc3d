// Integration: ore's community gallery sharing (the library, as plume release uses it) with the
// real @azure/arm-compute client against a local server of the documented Azure Resource Manager
// protocol (@mantle/test-utils/fake-arm: no ARM emulator exists): the gallery's sharing profile
// set by PATCH, then the share action (POST .../share, EnableCommunity) as a long-running
// operation polled to completion; a second share changes nothing; bad publisher details refused
// before any call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeArm, type FakeArm } from '@mantle/test-utils/fake-arm';
import { azureArm, type AzureArm } from '../src/azure/arm-clients.js';
import { ensureGallery } from '../src/azure/gallery.js';
import {
  communityImageId,
  getGallerySharing,
  shareGalleryWithCommunity,
} from '../src/azure/gallery-sharing.js';

const SUB = '00000000-0000-0000-0000-000000000001';
const RG = 'mantle-rg';
const PUBLISHER = {
  publisherUri: 'https://www.flatcar.org/',
  publisherContact: 'infra@flatcar-linux.org',
  eula: 'https://www.flatcar.org/docs/latest/',
  publicNamePrefix: 'flatcar4test',
};

let arm: FakeArm;
let lib: AzureArm;

beforeAll(async () => {
  arm = await startFakeArm({ subscriptions: { [SUB]: [RG] }, clients: { c: 's' } });
  lib = azureArm({
    subscriptionId: SUB,
    credentials: {
      clientId: 'c',
      clientSecret: 's',
      tenantId: 't',
      activeDirectoryEndpointUrl: arm.endpoint,
      resourceManagerEndpointUrl: arm.endpoint,
    },
    ca: arm.cert,
    pollMs: 20,
  });
});

afterAll(async () => {
  await arm?.close();
});

describe('ore azure community gallery sharing (fake ARM protocol server)', () => {
  it('shares a private gallery once: sharing profile, then EnableCommunity; a rerun changes nothing', async () => {
    await ensureGallery(lib, { resourceGroup: RG, gallery: 'pub_gallery', location: 'westus' });
    expect(await getGallerySharing(lib, RG, 'pub_gallery')).toMatchObject({
      permissions: 'Private',
      communityEnabled: false,
      publicNames: [],
    });
    const s = await shareGalleryWithCommunity(lib, {
      resourceGroup: RG,
      gallery: 'pub_gallery',
      publisher: PUBLISHER,
    });
    expect(s).toMatchObject({ permissions: 'Community', communityEnabled: true, changed: true });
    expect(s.publisher).toEqual(PUBLISHER);
    expect(s.publicNames).toHaveLength(1);
    expect(s.publicNames[0]).toMatch(/^flatcar4test-[0-9a-f-]{36}$/);
    expect(arm.calls.get('galleries.patch')).toBe(1);
    expect(arm.calls.get('galleries.share')).toBe(1);
    // the share action is a long-running operation: polled until it landed
    expect(arm.calls.get('operations.get')).toBeGreaterThan(0);
    expect(communityImageId(s.publicNames[0]!, 'flatcar-stable', '4081.2.0')).toBe(
      `/CommunityGalleries/${s.publicNames[0]}/Images/flatcar-stable/Versions/4081.2.0`,
    );

    const again = await shareGalleryWithCommunity(lib, {
      resourceGroup: RG,
      gallery: 'pub_gallery',
      publisher: PUBLISHER,
    });
    expect(again).toMatchObject({ changed: false, publicNames: s.publicNames });
    expect(arm.calls.get('galleries.patch')).toBe(1);
    expect(arm.calls.get('galleries.share')).toBe(1);
  });

  it('refuses bad publisher details before any call, and a gallery that does not exist', async () => {
    const before = arm.calls.get('galleries.get');
    await expect(
      shareGalleryWithCommunity(lib, {
        resourceGroup: RG,
        gallery: 'pub_gallery',
        publisher: { ...PUBLISHER, publisherContact: 'nobody' },
      }),
    ).rejects.toMatchObject({ code: 'AZURE_BAD_COMMUNITY_INFO', exitCode: 2 });
    expect(arm.calls.get('galleries.get')).toBe(before);
    await expect(
      shareGalleryWithCommunity(lib, { resourceGroup: RG, gallery: 'no_such_gallery', publisher: PUBLISHER }),
    ).rejects.toMatchObject({ code: 'AZURE_GALLERY_MISSING', exitCode: 2 });
  });

  it('the fake refuses EnableCommunity on a gallery without the Community sharing profile (as ARM does)', async () => {
    await ensureGallery(lib, { resourceGroup: RG, gallery: 'private_gallery', location: 'westus' });
    await expect(
      lib.call(
        'gallerySharingProfile.update',
        {},
        (c) =>
          c.gallerySharingProfile.beginUpdateAndWait(
            RG,
            'private_gallery',
            { operationType: 'EnableCommunity' },
            lib.poll,
          ),
        undefined,
      ),
    ).rejects.toThrow(/not set up for community sharing/);
    expect((await getGallerySharing(lib, RG, 'private_gallery'))?.communityEnabled).toBe(false);
  });
});
