import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { InterruptedError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { allocatedRegions, splitNonZero } from '../convert/data-map.js';
import { noProgress, type ProgressFactory } from '../convert/progress.js';
import { pollUntil } from '../cloud/wait.js';
import { awsError, type AwsClients } from './clients.js';
import { MANTLE_TAG, tagList } from './tags.js';

/** EBS snapshots are made of 512 KiB blocks. */
export const EBS_BLOCK_SIZE = 512 * 1024;

/** A snapshot found or made for an image name. */
export interface SnapshotRef {
  snapshotId: string;
  /** how we got it */
  via: 'existing' | 'import-task' | 'ebs-direct' | 'import';
}

/**
 * A completed snapshot tagged Name=<name> (mantle's way of naming them), or a running import
 * task whose description is the name: what a rerun reuses instead of uploading again.
 */
export async function findSnapshot(
  clients: AwsClients,
  name: string,
  logger?: Logger,
): Promise<{ snapshotId: string } | { importTaskId: string } | undefined> {
  const { sdk, client } = await clients.ec2();
  try {
    const res = await client.send(
      new sdk.DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: [
          { Name: 'status', Values: ['completed'] },
          { Name: 'tag:Name', Values: [name] },
        ],
      }),
    );
    const snaps = res.Snapshots ?? [];
    if (snaps.length > 1)
      throw new OperationError({
        code: 'AWS_DUPLICATE_SNAPSHOTS',
        message: `${snaps.length} completed snapshots are tagged Name=${name}: ${snaps.map((s) => s.SnapshotId).join(', ')}`,
        hint: 'delete the extra ones (ore aws delete) so the name is unique again',
      });
    if (snaps[0]?.SnapshotId) {
      logger?.info(`found existing snapshot ${snaps[0].SnapshotId} for ${name}`);
      return { snapshotId: snaps[0].SnapshotId };
    }
    const tasks = await client.send(new sdk.DescribeImportSnapshotTasksCommand({}));
    for (const t of tasks.ImportSnapshotTasks ?? []) {
      if (t.Description !== name) continue;
      const status = t.SnapshotTaskDetail?.Status;
      if (status === 'active' || status === 'pending') {
        logger?.info(`found running import task ${t.ImportTaskId} for ${name}`);
        return { importTaskId: t.ImportTaskId! };
      }
    }
    return undefined;
  } catch (err) {
    throw awsError(err, { clients, what: 'looking up snapshots' });
  }
}

export interface EbsDirectOptions {
  /** the raw disk */
  file: string;
  /** names the snapshot (tag Name) and, with size and mtime, makes StartSnapshot idempotent */
  name: string;
  description?: string;
  tags?: Record<string, string>;
  /** blocks in flight (default 16) */
  concurrency?: number;
  signal?: AbortSignal;
  progress?: ProgressFactory;
  logger?: Logger;
  /** how long AWS keeps a pending snapshot open (minutes, default 60) */
  timeoutMinutes?: number;
}

export interface EbsDirectResult {
  snapshotId: string;
  /** non-zero blocks written */
  blocksWritten: number;
  /** all blocks of the volume */
  blocksTotal: number;
}

/**
 * Write a raw disk straight into a new EBS snapshot with the EBS direct APIs: StartSnapshot
 * (idempotent through a ClientToken derived from name, size and mtime, so a killed run's pending
 * snapshot is picked up again instead of duplicated), PutSnapshotBlock for the non-zero 512 KiB
 * blocks only (SHA-256 each, `concurrency` in flight), CompleteSnapshot with the block count and
 * the LINEAR aggregate checksum.
 */
export async function uploadEbsDirect(clients: AwsClients, opts: EbsDirectOptions): Promise<EbsDirectResult> {
  const st = await stat(opts.file);
  const volumeGiB = Math.ceil(st.size / 1024 ** 3);
  const blocksTotal = Math.ceil(st.size / EBS_BLOCK_SIZE);
  const { sdk, client } = await clients.ebs();
  const token = createHash('sha256')
    .update(`${opts.name}\0${st.size}\0${st.mtimeMs}`)
    .digest('hex')
    .slice(0, 64);
  let snapshotId: string;
  try {
    const started = await client.send(
      new sdk.StartSnapshotCommand({
        VolumeSize: volumeGiB,
        Description: opts.description ?? opts.name,
        ClientToken: token,
        Timeout: opts.timeoutMinutes ?? 60,
        Tags: tagList({ Name: opts.name, ...MANTLE_TAG, ...opts.tags }),
      }),
    );
    snapshotId = started.SnapshotId!;
  } catch (err) {
    throw awsError(err, { clients, what: 'StartSnapshot' });
  }
  opts.logger?.info(`EBS snapshot ${snapshotId}: writing the non-zero blocks of ${opts.file}`);

  // The blocks that may hold data: the file system's extents, rounded out to whole blocks.
  const indexes = new Set<number>();
  for (const r of await allocatedRegions(opts.file, st.size, opts.signal ? { signal: opts.signal } : {}))
    for (let i = Math.floor(r.offset / EBS_BLOCK_SIZE); i * EBS_BLOCK_SIZE < r.offset + r.length; i++)
      indexes.add(i);
  const candidates = [...indexes].sort((a, b) => a - b);
  const sums = new Map<number, Buffer>();
  const task = (opts.progress ?? noProgress)('EBS direct upload', candidates.length * EBS_BLOCK_SIZE);
  const fh = await open(opts.file, 'r');
  let next = 0;
  let done = 0;
  try {
    const worker = async (): Promise<void> => {
      const buf = Buffer.alloc(EBS_BLOCK_SIZE);
      while (next < candidates.length) {
        if (opts.signal?.aborted) throw new InterruptedError('abort signal');
        const index = candidates[next++]!;
        buf.fill(0);
        await fh.read(buf, 0, EBS_BLOCK_SIZE, index * EBS_BLOCK_SIZE);
        if (splitNonZero(buf, 0).length > 0) {
          const digest = createHash('sha256').update(buf).digest();
          try {
            await client.send(
              new sdk.PutSnapshotBlockCommand({
                SnapshotId: snapshotId,
                BlockIndex: index,
                BlockData: Buffer.from(buf),
                DataLength: EBS_BLOCK_SIZE,
                Checksum: digest.toString('base64'),
                ChecksumAlgorithm: 'SHA256',
                Progress: Math.min(100, Math.floor((done / candidates.length) * 100)),
              }),
              opts.signal ? { abortSignal: opts.signal } : {},
            );
          } catch (err) {
            if (opts.signal?.aborted) throw new InterruptedError('abort signal');
            throw awsError(err, { clients, what: `PutSnapshotBlock ${index} of ${snapshotId}` });
          }
          sums.set(index, digest);
        }
        done++;
        task.update(done * EBS_BLOCK_SIZE);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker));
  } finally {
    task.finish();
    await fh.close();
  }
  // LINEAR aggregation: the SHA-256 of the blocks' SHA-256 digests in block order.
  const agg = createHash('sha256');
  for (const i of [...sums.keys()].sort((a, b) => a - b)) agg.update(sums.get(i)!);
  try {
    await client.send(
      new sdk.CompleteSnapshotCommand({
        SnapshotId: snapshotId,
        ChangedBlocksCount: sums.size,
        Checksum: agg.digest('base64'),
        ChecksumAlgorithm: 'SHA256',
        ChecksumAggregationMethod: 'LINEAR',
      }),
    );
  } catch (err) {
    throw awsError(err, { clients, what: `CompleteSnapshot ${snapshotId}` });
  }
  await waitSnapshotCompleted(clients, snapshotId, opts);
  return { snapshotId, blocksWritten: sums.size, blocksTotal };
}

/** Poll DescribeSnapshots until the snapshot is completed (an error state fails). */
export async function waitSnapshotCompleted(
  clients: AwsClients,
  snapshotId: string,
  opts: { signal?: AbortSignal; pollMs?: number } = {},
): Promise<void> {
  const { sdk, client } = await clients.ec2();
  await pollUntil(
    async () => {
      const res = await client
        .send(new sdk.DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))
        .catch((err: unknown) => {
          throw awsError(err, { clients, what: `describing ${snapshotId}` });
        });
      const s = res.Snapshots?.[0];
      if (s?.State === 'error')
        throw new OperationError({
          code: 'AWS_SNAPSHOT_FAILED',
          message: `snapshot ${snapshotId} failed: ${s.StateMessage ?? ''}`,
        });
      return s?.State === 'completed' ? true : undefined;
    },
    {
      what: `snapshot ${snapshotId}`,
      initialMs: opts.pollMs ?? 2000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
  );
}

export interface ImportOptions {
  /** the name: import task description and snapshot tag */
  name: string;
  bucket: string;
  key: string;
  format: 'RAW' | 'VMDK' | 'VHD';
  role?: string;
  signal?: AbortSignal;
  logger?: Logger;
  /** first poll wait (ms), growing with backoff */
  pollMs?: number;
}

/** Start an ImportSnapshot from an S3 object (idempotent by a ClientToken of bucket/key/name). */
export async function startImport(clients: AwsClients, opts: ImportOptions): Promise<string> {
  const { sdk, client } = await clients.ec2();
  try {
    const res = await client.send(
      new sdk.ImportSnapshotCommand({
        Description: opts.name,
        RoleName: opts.role ?? 'vmimport',
        ClientToken: createHash('sha256')
          .update(`${opts.bucket}/${opts.key}\0${opts.name}`)
          .digest('hex')
          .slice(0, 64),
        DiskContainer: { Format: opts.format, UserBucket: { S3Bucket: opts.bucket, S3Key: opts.key } },
      }),
    );
    opts.logger?.info(`import task ${res.ImportTaskId} started for s3://${opts.bucket}/${opts.key}`);
    return res.ImportTaskId!;
  } catch (err) {
    throw awsError(err, { clients, what: 'ImportSnapshot' });
  }
}

/**
 * Poll an import task with backoff until it made a snapshot; a failed or cancelled task is an
 * error with AWS's message. On abort (Ctrl-C) the task is cancelled, so none is left running.
 */
export async function finishImport(
  clients: AwsClients,
  importTaskId: string,
  opts: Pick<ImportOptions, 'signal' | 'logger' | 'pollMs'>,
): Promise<string> {
  const { sdk, client } = await clients.ec2();
  try {
    return await pollUntil(
      async () => {
        const res = await client
          .send(new sdk.DescribeImportSnapshotTasksCommand({ ImportTaskIds: [importTaskId] }))
          .catch((err: unknown) => {
            throw awsError(err, { clients, what: `describing import task ${importTaskId}` });
          });
        const d = res.ImportSnapshotTasks?.[0]?.SnapshotTaskDetail;
        switch (d?.Status) {
          case 'completed':
            return d.SnapshotId;
          case 'deleted':
          case 'deleting':
          case 'cancelled':
          case 'cancelling':
            throw new OperationError({
              code: 'AWS_IMPORT_FAILED',
              message: `import task ${importTaskId} ended ${d.Status}: ${d.StatusMessage ?? 'no message'}`,
              hint: 'check that the vmimport role can read the bucket (ore aws initialize) and the object is a disk image',
            });
          default:
            opts.logger?.debug(
              `import task ${importTaskId}: ${d?.Status ?? 'unknown'} ${d?.Progress ?? ''}%`,
            );
            return undefined;
        }
      },
      {
        what: `import task ${importTaskId}`,
        initialMs: opts.pollMs ?? 10_000,
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
    );
  } catch (err) {
    if (opts.signal?.aborted) {
      await client
        .send(new sdk.CancelImportTaskCommand({ ImportTaskId: importTaskId }))
        .catch(() => undefined);
      opts.logger?.warn(`cancelled import task ${importTaskId}`);
    }
    throw err;
  }
}
