import { OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { pollUntil } from '../cloud/wait.js';
import { awsError, awsErrorCode, type AwsClients } from './clients.js';
import { MANTLE_TAG, tagList, tagMap } from './tags.js';

/** An AMI as ore lists it. */
export interface AmiInfo {
  imageId: string;
  name: string;
  state: string;
  created: string;
  snapshotId: string | undefined;
  public: boolean;
  tags: Record<string, string>;
  region: string;
}

/** Our image with this exact name, if any (more than one is an error: names are unique per region). */
export async function findImage(clients: AwsClients, name: string): Promise<AmiInfo | undefined> {
  const found = await listImages(clients, { name });
  if (found.length > 1)
    throw new OperationError({
      code: 'AWS_DUPLICATE_IMAGES',
      message: `${found.length} images are named ${name} in ${clients.region}: ${found.map((i) => i.imageId).join(', ')}`,
      hint: 'delete the extra ones (ore aws delete --image ID)',
    });
  return found[0];
}

/** Our images (Owners self), optionally by name or tag. */
export async function listImages(
  clients: AwsClients,
  filter: { name?: string; tags?: Record<string, string>; ids?: string[] } = {},
): Promise<AmiInfo[]> {
  const { sdk, client } = await clients.ec2();
  const Filters = [
    ...(filter.name ? [{ Name: 'name', Values: [filter.name] }] : []),
    ...Object.entries(filter.tags ?? {}).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })),
  ];
  try {
    const res = await client.send(
      new sdk.DescribeImagesCommand({
        ...(filter.ids ? { ImageIds: filter.ids } : { Owners: ['self'] }),
        ...(Filters.length > 0 ? { Filters } : {}),
      }),
    );
    return (res.Images ?? []).map((i) => ({
      imageId: i.ImageId!,
      name: i.Name ?? '',
      state: i.State ?? 'unknown',
      created: i.CreationDate ?? '',
      snapshotId: i.BlockDeviceMappings?.find((b) => b.Ebs?.SnapshotId)?.Ebs?.SnapshotId,
      public: i.Public ?? false,
      tags: tagMap(i.Tags),
      region: clients.region,
    }));
  } catch (err) {
    throw awsError(err, { clients, what: 'DescribeImages' });
  }
}

export interface RegisterOptions {
  name: string;
  snapshotId: string;
  description?: string;
  /** x86_64 or arm64 */
  architecture?: 'x86_64' | 'arm64';
  /** GiB of the root volume (default 16, as mantle) */
  diskSizeGiB?: number;
  /** legacy-bios, uefi or uefi-preferred (default) */
  bootMode?: 'legacy-bios' | 'uefi' | 'uefi-preferred';
  tags?: Record<string, string>;
  logger?: Logger;
}

/**
 * RegisterImage as mantle does (HVM, ENA, SR-IOV simple, gp3 root + ephemeral0, boot mode
 * uefi-preferred), reusing an image of the same name (found first, or on
 * InvalidAMIName.Duplicate after a race), then tagged Name, CreatedBy=mantle and `tags`.
 */
export async function registerImage(
  clients: AwsClients,
  opts: RegisterOptions,
): Promise<{ imageId: string; reused: boolean }> {
  const existing = await findImage(clients, opts.name);
  let imageId = existing?.imageId;
  const reused = imageId !== undefined;
  if (imageId) opts.logger?.info(`found existing image ${imageId} named ${opts.name}, reusing it`);
  const { sdk, client } = await clients.ec2();
  if (!imageId) {
    try {
      const res = await client.send(
        new sdk.RegisterImageCommand({
          Name: opts.name,
          Description: opts.description ?? '',
          Architecture: opts.architecture ?? 'x86_64',
          VirtualizationType: 'hvm',
          BootMode: opts.bootMode ?? 'uefi-preferred',
          RootDeviceName: '/dev/xvda',
          EnaSupport: true,
          SriovNetSupport: 'simple',
          BlockDeviceMappings: [
            {
              DeviceName: '/dev/xvda',
              Ebs: {
                SnapshotId: opts.snapshotId,
                DeleteOnTermination: true,
                VolumeSize: opts.diskSizeGiB ?? 16,
                VolumeType: 'gp3',
              },
            },
            { DeviceName: '/dev/xvdb', VirtualName: 'ephemeral0' },
          ],
        }),
      );
      imageId = res.ImageId!;
      opts.logger?.info(`registered image ${imageId} (${opts.name})`);
    } catch (err) {
      if (awsErrorCode(err) !== 'InvalidAMIName.Duplicate')
        throw awsError(err, { clients, what: 'RegisterImage' });
      // Lost a race with another run: the image appears in DescribeImages shortly.
      imageId = await pollUntil(async () => (await findImage(clients, opts.name))?.imageId, {
        what: `image ${opts.name} to appear`,
        initialMs: 1000,
        timeoutMs: 300_000,
      });
    }
  }
  await createTags(clients, [imageId], { Name: opts.name, ...MANTLE_TAG, ...opts.tags });
  return { imageId, reused };
}

/** Tag resources (images, snapshots) in one call. */
export async function createTags(
  clients: AwsClients,
  ids: string[],
  tags: Record<string, string>,
): Promise<void> {
  const { sdk, client } = await clients.ec2();
  try {
    await client.send(new sdk.CreateTagsCommand({ Resources: ids, Tags: tagList(tags) }));
  } catch (err) {
    throw awsError(err, { clients, what: `tagging ${ids.join(', ')}` });
  }
}

/** The Add list of a launch or create-volume permission change. */
function permissionList(grant: { users?: string[]; public?: boolean }) {
  return [
    ...(grant.users ?? []).map((UserId) => ({ UserId })),
    ...(grant.public ? [{ Group: 'all' as const }] : []),
  ];
}

/** Grant launch permission to accounts and/or everyone (`public`). */
export async function grantLaunch(
  clients: AwsClients,
  imageId: string,
  grant: { users?: string[]; public?: boolean },
): Promise<void> {
  const Add = permissionList(grant);
  if (Add.length === 0) return;
  const { sdk, client } = await clients.ec2();
  try {
    await client.send(new sdk.ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add } }));
  } catch (err) {
    throw awsError(err, { clients, what: `granting launch permission on ${imageId}` });
  }
}

/**
 * Grant create-volume permission on a snapshot to accounts and/or everyone (`public`): what a
 * public AMI's snapshot gets when the image is released, as mantle's PublishImage does.
 */
export async function grantVolume(
  clients: AwsClients,
  snapshotId: string,
  grant: { users?: string[]; public?: boolean },
): Promise<void> {
  const Add = permissionList(grant);
  if (Add.length === 0) return;
  const { sdk, client } = await clients.ec2();
  try {
    await client.send(
      new sdk.ModifySnapshotAttributeCommand({
        SnapshotId: snapshotId,
        Attribute: 'createVolumePermission',
        CreateVolumePermission: { Add },
      }),
    );
  } catch (err) {
    throw awsError(err, { clients, what: `granting create-volume permission on ${snapshotId}` });
  }
}

/**
 * Copy an image to other regions as mantle's copy-image does: regions that already have an
 * image of the name are skipped (its id returned), new copies are awaited (backoff), then get the
 * source's tags (image and snapshot), launch permissions and snapshot create-volume permissions.
 * Returns region -> image id.
 */
export async function copyImage(
  clients: AwsClients,
  sourceImageId: string,
  regions: string[],
  opts: { logger?: Logger; signal?: AbortSignal; pollMs?: number } = {},
): Promise<Record<string, string>> {
  const [src] = await listImages(clients, { ids: [sourceImageId] });
  if (!src)
    throw new OperationError({
      code: 'AWS_IMAGE_NOT_FOUND',
      message: `image ${sourceImageId} not found in ${clients.region}`,
    });
  const { sdk, client } = await clients.ec2();
  const perms = await client
    .send(new sdk.DescribeImageAttributeCommand({ ImageId: sourceImageId, Attribute: 'launchPermission' }))
    .catch((err: unknown) => {
      throw awsError(err, { clients, what: `describing launch permissions of ${sourceImageId}` });
    });
  // who may make volumes of the snapshot travels with the copy too (mantle copies only launch
  // permission, so accounts allowed to launch the copy could not copy it on)
  const volumePerms = src.snapshotId
    ? ((
        await client
          .send(
            new sdk.DescribeSnapshotAttributeCommand({
              SnapshotId: src.snapshotId,
              Attribute: 'createVolumePermission',
            }),
          )
          .catch((err: unknown) => {
            throw awsError(err, {
              clients,
              what: `describing create-volume permissions of ${src.snapshotId}`,
            });
          })
      ).CreateVolumePermissions ?? [])
    : [];
  const snapTags = src.snapshotId
    ? tagMap(
        (
          await client
            .send(new sdk.DescribeSnapshotsCommand({ SnapshotIds: [src.snapshotId] }))
            .catch(() => undefined)
        )?.Snapshots?.[0]?.Tags,
      )
    : {};
  const out: Record<string, string> = {};
  await Promise.all(
    regions.map(async (region) => {
      const dst = clients.forRegion(region);
      try {
        const have = await findImage(dst, src.name);
        let id = have?.imageId;
        if (id) opts.logger?.info(`${region}: already has ${src.name} (${id}), skipping`);
        else {
          const d = await dst.ec2();
          const res = await d.client
            .send(
              new d.sdk.CopyImageCommand({
                SourceRegion: clients.region,
                SourceImageId: sourceImageId,
                Name: src.name,
              }),
            )
            .catch((err: unknown) => {
              throw awsError(err, { clients: dst, what: `CopyImage to ${region}` });
            });
          id = res.ImageId!;
          opts.logger?.info(`${region}: copying ${sourceImageId} as ${id}`);
        }
        const copied = await pollUntil(
          async () => {
            const [i] = await listImages(dst, { ids: [id] });
            if (i?.state === 'failed')
              throw new OperationError({
                code: 'AWS_COPY_FAILED',
                message: `copy of ${sourceImageId} to ${region} failed`,
              });
            return i?.state === 'available' ? i : undefined;
          },
          {
            what: `image ${id} in ${region}`,
            initialMs: opts.pollMs ?? 15_000,
            ...(opts.signal ? { signal: opts.signal } : {}),
          },
        );
        await createTags(dst, [id], src.tags);
        if (copied.snapshotId && Object.keys(snapTags).length > 0)
          await createTags(dst, [copied.snapshotId], snapTags);
        const add = (perms.LaunchPermissions ?? []).map((p) => ({
          ...(p.UserId ? { UserId: p.UserId } : {}),
          ...(p.Group ? { Group: p.Group } : {}),
        }));
        if (add.length > 0) {
          const d = await dst.ec2();
          await d.client.send(
            new d.sdk.ModifyImageAttributeCommand({ ImageId: id, LaunchPermission: { Add: add } }),
          );
        }
        if (copied.snapshotId && volumePerms.length > 0)
          await grantVolume(dst, copied.snapshotId, {
            users: volumePerms.flatMap((p) => (p.UserId ? [p.UserId] : [])),
            public: volumePerms.some((p) => p.Group === 'all'),
          });
        out[region] = id;
      } finally {
        dst.destroy();
      }
    }),
  );
  return out;
}

/** Deregister an image and delete its snapshot. Missing ones are not an error (reported as such). */
export async function deleteImage(
  clients: AwsClients,
  image: AmiInfo,
  logger?: Logger,
): Promise<{ imageId: string; snapshotId: string | undefined }> {
  const { sdk, client } = await clients.ec2();
  try {
    await client.send(new sdk.DeregisterImageCommand({ ImageId: image.imageId }));
    logger?.info(`deregistered ${image.imageId} (${image.name})`);
    if (image.snapshotId) {
      await client.send(new sdk.DeleteSnapshotCommand({ SnapshotId: image.snapshotId }));
      logger?.info(`deleted snapshot ${image.snapshotId}`);
    }
  } catch (err) {
    if (!/NotFound/.test(awsErrorCode(err) ?? ''))
      throw awsError(err, { clients, what: `deleting ${image.imageId}` });
  }
  return { imageId: image.imageId, snapshotId: image.snapshotId };
}

/** Snapshots we own with a tag (for gc), with their start time. */
export async function listSnapshots(
  clients: AwsClients,
  tags: Record<string, string>,
): Promise<{ snapshotId: string; started: Date; state: string; tags: Record<string, string> }[]> {
  const { sdk, client } = await clients.ec2();
  try {
    const res = await client.send(
      new sdk.DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: Object.entries(tags).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })),
      }),
    );
    return (res.Snapshots ?? []).map((s) => ({
      snapshotId: s.SnapshotId!,
      started: s.StartTime ?? new Date(0),
      state: s.State ?? 'unknown',
      tags: tagMap(s.Tags),
    }));
  } catch (err) {
    throw awsError(err, { clients, what: 'DescribeSnapshots' });
  }
}

/** The regions of the account (DescribeRegions, all of them with their opt-in status). */
export async function listRegions(
  clients: AwsClients,
): Promise<{ name: string; endpoint: string; optIn: string }[]> {
  const { sdk, client } = await clients.ec2();
  try {
    const res = await client.send(new sdk.DescribeRegionsCommand({ AllRegions: true }));
    return (res.Regions ?? [])
      .map((r) => ({ name: r.RegionName!, endpoint: r.Endpoint ?? '', optIn: r.OptInStatus ?? '' }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } catch (err) {
    throw awsError(err, { clients, what: 'DescribeRegions' });
  }
}

/** Who may use an image: its launch permission and its snapshot's create-volume permission. */
export interface AmiPermissions {
  launch: { public: boolean; users: string[] };
  createVolume: { public: boolean; users: string[] };
}

/** Read an image's launch permission and its snapshot's create-volume permission (as they are now). */
export async function describePermissions(
  clients: AwsClients,
  imageId: string,
  snapshotId?: string,
): Promise<AmiPermissions> {
  const { sdk, client } = await clients.ec2();
  const split = (perms: { UserId?: string; Group?: string }[] | undefined) => ({
    public: (perms ?? []).some((p) => p.Group === 'all'),
    users: (perms ?? []).flatMap((p) => (p.UserId ? [p.UserId] : [])).sort(),
  });
  try {
    const launch = await client.send(
      new sdk.DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
    );
    const volume = snapshotId
      ? await client.send(
          new sdk.DescribeSnapshotAttributeCommand({
            SnapshotId: snapshotId,
            Attribute: 'createVolumePermission',
          }),
        )
      : undefined;
    return { launch: split(launch.LaunchPermissions), createVolume: split(volume?.CreateVolumePermissions) };
  } catch (err) {
    throw awsError(err, { clients, what: `describing the permissions of ${imageId}` });
  }
}
