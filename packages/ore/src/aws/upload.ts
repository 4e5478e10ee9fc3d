import { basename } from 'node:path';
import type { Logger } from '@mantle/core/log';
import { describeInput, rawFileOf, withWorkDir } from '../convert/input.js';
import { noProgress, type ProgressFactory } from '../convert/progress.js';
import { checkCloudName } from '../cloud/names.js';
import type { AwsClients } from './clients.js';
import { createTags, grantLaunch, grantVolume, listImages, registerImage } from './images.js';
import { findSnapshot, finishImport, startImport, uploadEbsDirect, type SnapshotRef } from './snapshots.js';
import { MANTLE_TAG } from './tags.js';

export interface AwsUploadOptions {
  /** the disk image (raw, or anything `ore image convert` reads; EBS direct converts to raw first) */
  file: string;
  /** the snapshot name (tag Name; import task description) */
  name: string;
  /** the AMI name; the image is registered as `<amiName>-hvm`, as mantle names it */
  amiName: string;
  description?: string;
  architecture?: 'x86_64' | 'arm64';
  diskSizeGiB?: number;
  /** S3 + ImportSnapshot instead of the EBS direct APIs */
  import?: {
    /** s3://bucket/prefix/ */
    bucket: string;
    key: string;
    format: 'RAW' | 'VMDK';
    /** delete the object once the snapshot exists (default true) */
    deleteObject?: boolean;
    /** the ObjectStore for the bucket (ore's storage) */
    put: (
      file: string,
      opts: { signal?: AbortSignal; onProgress?: (n: number, t?: number) => void },
    ) => Promise<void>;
    remove: () => Promise<void>;
    url: string;
  };
  /** accounts that get launch permission on the AMI */
  grantUsers?: string[];
  /**
   * accounts that get create-volume permission on the AMI's snapshot (without it an account that
   * may launch the AMI cannot copy it or make volumes of it)
   */
  grantSnapshotUsers?: string[];
  public?: boolean;
  tags?: Record<string, string>;
  logger?: Logger;
  signal?: AbortSignal;
  progress?: ProgressFactory;
  /** first wait between import-task polls (ms) */
  pollMs?: number;
  /** work dir parent for a raw copy of a non-raw input */
  workNextTo?: string;
}

/** What `ore aws upload` prints, as mantle prints it (`{HVM, SnapshotID, S3Object}`). */
export interface AwsUploadResult {
  HVM: string;
  SnapshotID: string;
  S3Object: string;
  /** extras for --json readers */
  reused: { image: boolean; snapshot: boolean };
  via: SnapshotRef['via'];
  blocksWritten?: number;
  blocksTotal?: number;
}

/**
 * Upload a disk image as an AMI, idempotently: an image named `<amiName>-hvm` is reused as it is;
 * else a completed snapshot tagged Name=<name> (or a running import task) is reused; else the disk
 * goes up — by default straight into a snapshot through the EBS direct APIs (non-zero 512 KiB blocks
 * only), with `import` through S3 multipart + ImportSnapshot (polled with backoff, the object
 * deleted afterwards). Then tags, RegisterImage (HVM, ENA, SR-IOV, uefi-preferred) and launch
 * permissions.
 */
export async function uploadAmi(clients: AwsClients, opts: AwsUploadOptions): Promise<AwsUploadResult> {
  const hvmName = `${opts.amiName}-hvm`;
  checkCloudName('aws-image', hvmName, '--ami-name');
  const log = opts.logger;
  const tags = { ...MANTLE_TAG, ...opts.tags };
  const [existing] = await listImages(clients, { name: hvmName });
  if (existing?.snapshotId) {
    log?.info(`image ${existing.imageId} (${hvmName}) exists: nothing to upload`);
    await createTags(clients, [existing.imageId, existing.snapshotId], { Name: hvmName, ...tags });
    await createTags(clients, [existing.snapshotId], { Name: opts.name, ...tags });
    await grantLaunch(clients, existing.imageId, {
      users: opts.grantUsers ?? [],
      public: opts.public ?? false,
    });
    await grantVolume(clients, existing.snapshotId, { users: opts.grantSnapshotUsers ?? [] });
    return {
      HVM: existing.imageId,
      SnapshotID: existing.snapshotId,
      S3Object: opts.import?.url ?? '',
      reused: { image: true, snapshot: true },
      via: 'existing',
    };
  }

  let snap: SnapshotRef;
  let blocks: { blocksWritten: number; blocksTotal: number } | undefined;
  const found = await findSnapshot(clients, opts.name, log);
  if (found && 'snapshotId' in found) snap = { snapshotId: found.snapshotId, via: 'existing' };
  else if (found) {
    const id = await finishImport(clients, found.importTaskId, {
      ...opts,
      ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
    });
    snap = { snapshotId: id, via: 'import-task' };
  } else if (opts.import) {
    const imp = opts.import;
    const task = (opts.progress ?? noProgress)(`upload ${basename(opts.file)} to ${imp.url}`, 0);
    try {
      await imp.put(opts.file, {
        ...(opts.signal ? { signal: opts.signal } : {}),
        onProgress: (n) => task.update(n),
      });
    } finally {
      task.finish();
    }
    const taskId = await startImport(clients, {
      name: opts.name,
      bucket: imp.bucket,
      key: imp.key,
      format: imp.format,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(log ? { logger: log } : {}),
    });
    const id = await finishImport(clients, taskId, opts);
    snap = { snapshotId: id, via: 'import' };
  } else {
    const raw = await withRawFile(opts, async (file) =>
      uploadEbsDirect(clients, {
        file,
        name: opts.name,
        ...(opts.description ? { description: opts.description } : {}),
        tags,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.progress ? { progress: opts.progress } : {}),
        ...(log ? { logger: log } : {}),
      }),
    );
    snap = { snapshotId: raw.snapshotId, via: 'ebs-direct' };
    blocks = { blocksWritten: raw.blocksWritten, blocksTotal: raw.blocksTotal };
    log?.info(`wrote ${raw.blocksWritten} of ${raw.blocksTotal} blocks into ${raw.snapshotId}`);
  }
  await createTags(clients, [snap.snapshotId], { Name: opts.name, ...tags });
  if (
    opts.import &&
    (snap.via === 'import' || snap.via === 'import-task') &&
    opts.import.deleteObject !== false
  ) {
    await opts.import.remove();
    log?.info(`deleted ${opts.import.url}`);
  }
  const img = await registerImage(clients, {
    name: hvmName,
    snapshotId: snap.snapshotId,
    ...(opts.description ? { description: opts.description } : {}),
    ...(opts.architecture ? { architecture: opts.architecture } : {}),
    ...(opts.diskSizeGiB ? { diskSizeGiB: opts.diskSizeGiB } : {}),
    tags,
    ...(log ? { logger: log } : {}),
  });
  await grantLaunch(clients, img.imageId, { users: opts.grantUsers ?? [], public: opts.public ?? false });
  await grantVolume(clients, snap.snapshotId, { users: opts.grantSnapshotUsers ?? [] });
  return {
    HVM: img.imageId,
    SnapshotID: snap.snapshotId,
    S3Object: opts.import?.url ?? '',
    reused: { image: img.reused, snapshot: snap.via === 'existing' },
    via: snap.via,
    ...(blocks ?? {}),
  };
}

// EBS direct writes disk blocks: a compressed or non-raw input is made a sparse raw first.
async function withRawFile<T>(opts: AwsUploadOptions, fn: (file: string) => Promise<T>): Promise<T> {
  const input = await describeInput(opts.file, opts.signal ? { signal: opts.signal } : {});
  if (input.kind === 'raw') return fn(opts.file);
  return withWorkDir(opts.workNextTo ?? opts.file, async (dir) => {
    const raw = await rawFileOf(input, dir, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.progress ? { progress: opts.progress } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    return fn(raw.file);
  });
}
