import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import type { Gallery } from '@azure/arm-compute';
import type { AzureArm } from './arm-clients.js';
import { armId } from './images.js';

// Making a gallery's images public the way Azure does it: a COMMUNITY GALLERY. The gallery's
// sharingProfile gets permissions "Community" and the publisher's communityGalleryInfo (website,
// contact, EULA, public name prefix) through a gallery update, then the gallery `share` action
// (POST .../galleries/{g}/share, operationType EnableCommunity) turns sharing on; Azure then names
// the gallery publicly `<prefix>-<guid>` and every version in it can be used by anyone as
// /CommunityGalleries/<public name>/Images/<definition>/Versions/<version>. Each step reads what
// is there first, so sharing an already shared gallery changes nothing.

/** The publisher details Azure shows beside a community gallery (all four are required). */
export interface CommunityGalleryPublisher {
  /** the publisher's website */
  publisherUri: string;
  /** the publisher's support e-mail address */
  publisherContact: string;
  /** the end-user license agreement (a URL or text) */
  eula: string;
  /** the start of the gallery's public name (Azure appends a GUID) */
  publicNamePrefix: string;
}

/** A gallery's sharing state as ore reports it. */
export interface GallerySharing {
  gallery: string;
  id: string;
  /** Private, Groups or Community */
  permissions: string;
  /** true once the share action enabled the community gallery */
  communityEnabled: boolean;
  /** the names the community gallery is published under */
  publicNames: string[];
  publisher?: CommunityGalleryPublisher;
}

function sharingOf(g: Gallery, gallery: string): GallerySharing {
  const sp = g.sharingProfile;
  const info = sp?.communityGalleryInfo;
  return {
    gallery,
    id: g.id ?? '',
    permissions: sp?.permissions ?? 'Private',
    communityEnabled: info?.communityGalleryEnabled ?? false,
    publicNames: info?.publicNames ?? [],
    ...(info?.publisherUri && info.publisherContact && info.eula && info.publicNamePrefix
      ? {
          publisher: {
            publisherUri: info.publisherUri,
            publisherContact: info.publisherContact,
            eula: info.eula,
            publicNamePrefix: info.publicNamePrefix,
          },
        }
      : {}),
  };
}

/** A community gallery's publisher details as Azure accepts them; else exit 2 naming the field. */
export function checkCommunityPublisher(
  p: CommunityGalleryPublisher,
  field = 'community',
): CommunityGalleryPublisher {
  const bad = (name: keyof CommunityGalleryPublisher, what: string): never => {
    throw new InputError({
      code: 'AZURE_BAD_COMMUNITY_INFO',
      message: `${field}.${name} ${JSON.stringify(p[name] ?? '')} is not ${what}`,
      hint: `set ${field}.${name} (Azure shows it publicly beside the community gallery)`,
      details: { field: `${field}.${name}`, value: p[name] },
    });
  };
  if (!/^https?:\/\/[^\s/]+/.test(p.publisherUri ?? '')) bad('publisherUri', 'an http(s) URL');
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(p.publisherContact ?? ''))
    bad('publisherContact', 'an e-mail address');
  if (!p.eula?.trim()) bad('eula', 'a license agreement (URL or text)');
  // it starts a name in resource ids (/CommunityGalleries/<prefix>-<guid>): no '/' or spaces
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(p.publicNamePrefix ?? ''))
    bad('publicNamePrefix', 'letters, digits and -, starting with a letter or digit');
  return p;
}

/** The gallery's sharing state; undefined when there is no such gallery. */
export async function getGallerySharing(
  arm: AzureArm,
  resourceGroup: string,
  gallery: string,
): Promise<GallerySharing | undefined> {
  const g = await arm.find('galleries.get', { resourceGroup, gallery, select: 'Permissions' }, (c) =>
    c.galleries.get(resourceGroup, gallery, { select: 'Permissions' }),
  );
  return g ? sharingOf(g, gallery) : undefined;
}

/**
 * Share an existing gallery with the community: the sharing profile (permissions Community and
 * the publisher's details) unless it is already so, then the share action unless it is already
 * enabled. `changed` is false when the gallery was shared already.
 */
export async function shareGalleryWithCommunity(
  arm: AzureArm,
  opts: {
    resourceGroup: string;
    gallery: string;
    publisher: CommunityGalleryPublisher;
    logger?: Logger;
  },
): Promise<GallerySharing & { changed: boolean }> {
  const { resourceGroup, gallery } = opts;
  const publisher = checkCommunityPublisher(opts.publisher);
  const id = armId(arm, resourceGroup, `Microsoft.Compute/galleries/${gallery}`);
  const dryState: GallerySharing = {
    gallery,
    id,
    permissions: 'Community',
    communityEnabled: true,
    publicNames: [],
    publisher,
  };
  const have = arm.options.dryRun ? dryState : await getGallerySharing(arm, resourceGroup, gallery);
  if (!have)
    throw new InputError({
      code: 'AZURE_GALLERY_MISSING',
      message: `gallery ${gallery} does not exist in resource group ${resourceGroup}`,
      hint: 'publish a gallery image version first (it makes the gallery), or check the gallery name',
      details: { resourceGroup, gallery },
    });
  if (have.permissions === 'Community' && have.communityEnabled && !arm.options.dryRun)
    return { ...have, changed: false };
  if (have.permissions !== 'Community' || !have.publisher) {
    // The update carries only what changes (a PATCH): the gallery's other properties stay.
    const update = { sharingProfile: { permissions: 'Community', communityGalleryInfo: publisher } };
    opts.logger?.info(`sharing gallery ${gallery} as a community gallery (${publisher.publicNamePrefix}-…)`);
    await arm.call(
      'galleries.update',
      { resourceGroup, gallery, params: update },
      (c) => c.galleries.beginUpdateAndWait(resourceGroup, gallery, update, arm.poll),
      undefined,
    );
  }
  opts.logger?.info(`enabling community sharing of gallery ${gallery}`);
  await arm.call(
    'gallerySharingProfile.update',
    { resourceGroup, gallery, operationType: 'EnableCommunity' },
    (c) =>
      c.gallerySharingProfile.beginUpdateAndWait(
        resourceGroup,
        gallery,
        { operationType: 'EnableCommunity' },
        arm.poll,
      ),
    undefined,
  );
  if (arm.options.dryRun) return { ...dryState, changed: true };
  const now = await getGallerySharing(arm, resourceGroup, gallery);
  return { ...(now ?? dryState), changed: true };
}

/** The id a community gallery image version is used by (e.g. a VM's imageReference.communityGalleryImageId). */
export function communityImageId(publicName: string, image: string, version?: string): string {
  return `/CommunityGalleries/${publicName}/Images/${image}${version ? `/Versions/${version}` : ''}`;
}
