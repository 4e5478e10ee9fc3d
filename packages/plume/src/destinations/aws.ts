import type { AmiPermissions, AwsClients } from '@mantle/ore';
import type { AwsPartitionSpec } from '../spec/schema.js';
import type { RunContext } from '../release/run-context.js';

// plume's AWS destination, through ore's AWS layer (uploadAmi, copyImage, findImage, grantLaunch).

/** Region → AMI id of one partition. */
export type AmiMap = Record<string, string>;

/** ore's AWS clients for a partition's profile and a region (endpoints from AWS_ENDPOINT_URL_*). */
export async function partitionClients(
  ctx: Pick<RunContext, 'env' | 'cwd' | 'logger'>,
  part: AwsPartitionSpec,
  region: string,
): Promise<AwsClients> {
  const { loadProfile } = await import('@mantle/core/profiles');
  const { awsClients, awsEndpointsFromEnv } = await import('@mantle/ore');
  const creds = await loadProfile('aws', { profile: part.profile, env: ctx.env, cwd: ctx.cwd });
  return awsClients({
    region,
    credentials: { ...creds, profile: part.profile },
    endpoints: awsEndpointsFromEnv(ctx.env),
    logger: ctx.logger,
  });
}

/** The import bucket's store, with the partition's credentials. */
async function importStore(ctx: RunContext, part: AwsPartitionSpec, clients: AwsClients) {
  const { openStore } = await import('@mantle/ore/storage');
  const c = clients.options.credentials;
  const endpoint = clients.options.endpoints?.s3;
  return openStore(`s3://${part.bucket}/`, {
    ...ctx.storeOptions,
    s3: {
      region: part.bucketRegion,
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    },
  });
}

/**
 * Pre-release in one partition: the image into a snapshot through the partition's S3 bucket and
 * ImportSnapshot, registered as `<name>-hvm` (both found by name on a rerun), tagged with channel
 * and version, launch permission for the spec's accounts; nothing public.
 */
export async function awsUpload(
  ctx: RunContext,
  part: AwsPartitionSpec,
  image: { path: string; format: 'raw' | 'vmdk' },
): Promise<{ imageId: string; snapshotId: string; region: string }> {
  const r = ctx.release;
  const aws = r.aws!;
  const { uploadAmi } = await import('@mantle/ore');
  const clients = await partitionClients(ctx, part, part.bucketRegion);
  const store = await importStore(ctx, part, clients);
  const key = `${r.board}/${r.version}/${aws.image.replace(/\.(bz2|gz|xz|zst)$/, '')}`;
  try {
    const res = await uploadAmi(clients, {
      file: image.path,
      name: aws.imageName,
      amiName: aws.imageName,
      description: `${aws.description} (HVM)`,
      architecture: r.arch === 'arm64' ? 'arm64' : 'x86_64',
      import: {
        bucket: part.bucket,
        key,
        format: image.format === 'vmdk' ? 'VMDK' : 'RAW',
        url: `s3://${part.bucket}/${key}`,
        put: async (file, o) => {
          await store.put(key, file, {
            skipIfSame: true,
            ...(o.signal ? { signal: o.signal } : {}),
            ...(o.onProgress ? { onProgress: o.onProgress } : {}),
          });
        },
        remove: () => store.delete(key),
      },
      // the accounts that may launch it may also make volumes of (and so copy) its snapshot
      grantUsers: part.launchPermissions,
      grantSnapshotUsers: part.launchPermissions,
      tags: { Channel: r.channel, Version: r.version },
      logger: ctx.logger,
      signal: ctx.signal,
      pollMs: ctx.pollMs,
    });
    return { imageId: res.HVM, snapshotId: res.SnapshotID, region: part.bucketRegion };
  } finally {
    clients.destroy();
    await store.close();
  }
}

/** Copy the partition's AMI to its other regions (regions that have it are skipped by ore). */
export async function awsReplicate(
  ctx: RunContext,
  part: AwsPartitionSpec,
  imageId: string,
): Promise<AmiMap> {
  const { copyImage } = await import('@mantle/ore');
  const others = part.regions.filter((x) => x !== part.bucketRegion);
  const clients = await partitionClients(ctx, part, part.bucketRegion);
  try {
    const copies =
      others.length > 0
        ? await copyImage(clients, imageId, others, {
            logger: ctx.logger,
            signal: ctx.signal,
            pollMs: ctx.pollMs,
          })
        : {};
    return { ...copies, [part.bucketRegion]: imageId };
  } finally {
    clients.destroy();
  }
}

/**
 * Release in one region: the AMI (found by name) gets public launch permission, its snapshot
 * public create-volume permission; returns the permissions as they are then.
 */
export async function awsPublish(
  ctx: RunContext,
  part: AwsPartitionSpec,
  region: string,
): Promise<{ imageId: string; snapshotId?: string; permissions: AmiPermissions }> {
  const { describePermissions, findImage, grantLaunch, grantVolume } = await import('@mantle/ore');
  const { OperationError } = await import('@mantle/core/errors');
  const clients = await partitionClients(ctx, part, region);
  try {
    const img = await findImage(clients, ctx.release.aws!.amiName);
    if (!img)
      throw new OperationError({
        code: 'PLUME_AMI_MISSING',
        message: `${part.name} ${region}: no image named ${ctx.release.aws!.amiName}`,
        hint: `run plume pre-release -C ${ctx.release.channel} -B ${ctx.release.board} -V ${ctx.release.version} first`,
      });
    // The snapshot first: a public image whose snapshot is private cannot be copied by users.
    if (img.snapshotId) await grantVolume(clients, img.snapshotId, { public: true });
    await grantLaunch(clients, img.imageId, { public: true });
    // recorded in the journal: what plume status shows per region
    const permissions = await describePermissions(clients, img.imageId, img.snapshotId);
    return { imageId: img.imageId, ...(img.snapshotId ? { snapshotId: img.snapshotId } : {}), permissions };
  } finally {
    clients.destroy();
  }
}

/** Flatcar's AMI lists: flatcar_production_ami_{all.json, hvm.txt, all.txt, <region>.txt, hvm_<region>.txt}. */
export function amiListFiles(amis: AmiMap): { name: string; content: string }[] {
  const entries = Object.entries(amis)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, hvm]) => ({ name, hvm }));
  const files: { name: string; content: string }[] = [];
  for (const e of entries) {
    files.push({ name: `hvm_${e.name}.txt`, content: `${e.hvm}\n` });
    files.push({ name: `${e.name}.txt`, content: `${e.hvm}\n` });
  }
  const all = `${entries.map((e) => `${e.name}=${e.hvm}`).join('|')}\n`;
  files.push({ name: 'all.json', content: `${JSON.stringify({ amis: entries }, null, 2)}\n` });
  files.push({ name: 'hvm.txt', content: all });
  files.push({ name: 'all.txt', content: all });
  return files;
}
