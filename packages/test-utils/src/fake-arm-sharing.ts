// fake-arm's gallery sharing, as the documented Compute Gallery API has it: a gallery's
// sharingProfile (permissions Private | Groups | Community, communityGalleryInfo with the
// publisher's URI, contact, EULA and public name prefix), set by PUT or PATCH of the gallery, and
// the gallery `share` action (POST .../galleries/{g}/share {operationType}) as a long-running
// operation: EnableCommunity needs permissions Community and the four publisher fields, and when
// it lands the gallery is community-enabled under the public name `<prefix>-<guid>`; Reset makes
// it private again. The server-populated fields (communityGalleryEnabled, publicNames) are never
// taken from a request body. Kept apart from fake-arm.ts so the routes stay small, additive hunks.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJson, sendJson, type CallLog } from './http-fake.js';

/** The fake's resource shape (fake-arm.ts's FakeArmResource). */
interface Resource {
  id: string;
  tags: Record<string, string>;
  properties: Record<string, unknown>;
}

type Fail = (status: number, code: string, message: string) => never;

interface CommunityInfo {
  publisherUri?: string;
  publisherContact?: string;
  eula?: string;
  publicNamePrefix?: string;
  communityGalleryEnabled?: boolean;
  publicNames?: string[];
}

const sharingOf = (r: Resource | undefined) =>
  r?.properties.sharingProfile as { permissions?: string; communityGalleryInfo?: CommunityInfo } | undefined;

/**
 * Check a gallery PUT/PATCH body's sharingProfile and carry the server-populated fields over from
 * the existing gallery (changes `props` in place).
 */
export function checkGallerySharing(
  props: Record<string, unknown>,
  existing: Resource | undefined,
  fail: Fail,
): void {
  const sp = props.sharingProfile as
    { permissions?: string; communityGalleryInfo?: CommunityInfo } | undefined;
  const before = sharingOf(existing);
  if (!sp) {
    if (before) props.sharingProfile = before;
    return;
  }
  const permissions = sp.permissions ?? 'Private';
  if (!['Private', 'Groups', 'Community'].includes(permissions))
    fail(400, 'InvalidParameter', `The value '${permissions}' of sharingProfile.permissions is not valid.`);
  const wasEnabled = before?.communityGalleryInfo?.communityGalleryEnabled === true;
  if (wasEnabled && permissions !== 'Community')
    fail(
      409,
      'OperationNotAllowed',
      'The sharing permissions of a community gallery cannot be changed while community sharing is enabled; reset the sharing profile first.',
    );
  const info = sp.communityGalleryInfo;
  if (permissions === 'Community') {
    for (const f of ['publisherUri', 'publisherContact', 'eula', 'publicNamePrefix'] as const)
      if (!info?.[f])
        fail(
          400,
          'InvalidParameter',
          `Required parameter 'sharingProfile.communityGalleryInfo.${f}' is missing (a Community gallery needs the publisher's details).`,
        );
  }
  const { communityGalleryEnabled: _e, publicNames: _n, ...given } = info ?? {};
  props.sharingProfile = {
    permissions,
    ...(info
      ? {
          communityGalleryInfo: {
            ...given,
            communityGalleryEnabled: wasEnabled,
            ...(before?.communityGalleryInfo?.publicNames
              ? { publicNames: before.communityGalleryInfo.publicNames }
              : {}),
          },
        }
      : {}),
  };
}

/** What fake-arm.ts hands the sharing routes. */
export interface SharingRouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** the path segments after providers/Microsoft.Compute */
  rest: string[];
  /** the gallery resource's id */
  galleryId: (name: string) => string;
  resources: Map<string, Resource>;
  calls: CallLog;
  fail: Fail;
  /** start a long-running operation; its headers for the 200/202 answer */
  startOperation: (land: () => { code: string; message: string } | undefined) => Record<string, string>;
  throttled: (res: ServerResponse) => void;
}

/** PATCH of a gallery and the gallery share action; false for any other request. */
export async function routeGallerySharing(c: SharingRouteContext): Promise<boolean> {
  const { rest, method, res } = c;
  const share = rest.length === 3 && rest[0] === 'galleries' && rest[2] === 'share' && method === 'POST';
  const patch = rest.length === 2 && rest[0] === 'galleries' && method === 'PATCH';
  if (!share && !patch) return false;
  const gallery = c.resources.get(c.galleryId(rest[1]!).toLowerCase());
  if (c.calls.count(share ? 'galleries.share' : 'galleries.patch')) {
    c.throttled(res);
    return true;
  }
  if (!gallery)
    c.fail(404, 'GalleryNotFound', `The Resource 'Microsoft.Compute/galleries/${rest[1]}' was not found.`);
  const body = await readJson<{
    operationType?: string;
    tags?: Record<string, string>;
    properties?: Record<string, unknown>;
  }>(c.req);
  if (patch) {
    const props = { ...(body.properties ?? {}) };
    checkGallerySharing(props, gallery, c.fail);
    Object.assign(gallery.properties, props, { provisioningState: 'Updating' });
    if (body.tags) gallery.tags = body.tags;
    const headers = c.startOperation(() => {
      gallery.properties.provisioningState = 'Succeeded';
      return undefined;
    });
    sendJson(res, 200, gallery, headers);
    return true;
  }
  const op = body.operationType;
  const sp = sharingOf(gallery);
  if (op === 'EnableCommunity') {
    const info = sp?.communityGalleryInfo;
    if (sp?.permissions !== 'Community' || !info)
      c.fail(
        400,
        'InvalidParameter',
        `Gallery '${rest[1]}' is not set up for community sharing: set sharingProfile.permissions to Community with communityGalleryInfo first.`,
      );
  } else if (op !== 'Reset')
    c.fail(
      400,
      'InvalidParameter',
      `The value '${String(op)}' of operationType is not valid here (EnableCommunity or Reset).`,
    );
  const headers = c.startOperation(() => {
    const now = sharingOf(gallery)!;
    if (op === 'Reset') {
      gallery.properties.sharingProfile = { permissions: 'Private' };
      return undefined;
    }
    const info = now.communityGalleryInfo!;
    info.communityGalleryEnabled = true;
    info.publicNames ??= [`${info.publicNamePrefix}-${randomUUID()}`];
    return undefined;
  });
  sendJson(res, 202, undefined, headers);
  return true;
}
