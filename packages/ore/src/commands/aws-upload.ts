import { basename, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defineCommand, writeOut } from '@mantle/core/cli';
import { InputError } from '@mantle/core/errors';
import { parseVersionTxt } from '@mantle/core/image';
import type { AwsUploadResult } from '../aws/upload.js';
import { awsCommonOptions, checkRegionKnown, openAws } from './aws-common.js';

/** `ore aws upload --file F [--name N] [--ami-name A] [--import --bucket s3://b/p]` */
export const awsUploadCommand = defineCommand({
  command: 'upload',
  examples: [
    [
      '$0 aws upload --file flatcar_production_ami_image.bin --name flatcar-stable-4081.2.0 --ami-name flatcar-stable-4081.2.0',
      'upload a snapshot and register an AMI',
    ],
    [
      '$0 aws upload --file flatcar.vmdk --object-format vmdk --public --region eu-central-1',
      'import a VMDK and make the AMI public',
    ],
  ],
  describe: 'upload a disk image as an AMI (EBS direct by default; --import: S3 + ImportSnapshot)',
  builder: (y) =>
    awsCommonOptions(
      y
        .option('file', {
          type: 'string',
          demandOption: true,
          describe: 'the disk image (raw; others are converted first)',
        })
        .option('name', {
          type: 'string',
          describe: 'snapshot name (default: FLATCAR_VERSION of version.txt beside --file)',
        })
        .option('ami-name', {
          type: 'string',
          describe: 'AMI name; registered as <ami-name>-hvm (default: Container-Linux-dev-$USER-<version>)',
        })
        .option('ami-description', { type: 'string', describe: 'AMI description' })
        .option('board', {
          type: 'string',
          default: 'amd64-usr',
          choices: ['amd64-usr', 'arm64-usr'],
          describe: 'architecture',
        })
        .option('disk-size-gib', { type: 'number', default: 16, describe: 'root volume size of the AMI' })
        .option('import', {
          type: 'boolean',
          default: false,
          describe: "S3 multipart upload + ImportSnapshot (mantle's way)",
        })
        .option('bucket', {
          type: 'string',
          describe:
            's3://bucket/prefix/ for --import (default s3://flatcar-kola-ami-import-<region>/$USER/<board>/<name>/)',
        })
        .option('object-format', {
          type: 'string',
          default: 'raw',
          choices: ['raw', 'vmdk'],
          describe: 'format of the object ImportSnapshot reads',
        })
        .option('delete-object', {
          type: 'boolean',
          default: true,
          describe: 'delete the S3 object once the snapshot exists',
        })
        .option('grant-user', {
          type: 'string',
          array: true,
          describe: 'grant launch permission to this account id (repeatable)',
        })
        .option('grant-user-snapshot', {
          type: 'string',
          array: true,
          describe: 'grant create-volume permission on the snapshot to this account id (repeatable)',
        })
        .option('public', {
          type: 'boolean',
          default: false,
          describe: 'grant launch permission to everyone',
        })
        .option('tags', {
          type: 'string',
          array: true,
          describe: 'key=value tags for the AMI and snapshot (repeatable)',
        })
        .option('poll-interval', {
          type: 'string',
          default: '10s',
          describe: 'first wait between import task polls (grows with backoff)',
        }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { parseTagFlags } = await import('../aws/tags.js');
    const { parseDuration } = await import('../aws/maintenance.js');
    const { checkCloudName } = await import('../cloud/names.js');
    const file = resolve(ctx.cwd, args.file);
    const version = args.name && args.amiName ? undefined : await versionOf(file);
    const name = args.name ?? version;
    if (!name) throw missingName('--name');
    const amiBase =
      args.amiName ??
      `Container-Linux-dev-${ctx.env.USER ?? 'mantle'}-${(version ?? name).replace(/\+/g, '-')}`;
    const amiName = args.board === 'arm64-usr' && !amiBase.endsWith('-arm64') ? `${amiBase}-arm64` : amiBase;
    // refused before anything is uploaded
    checkCloudName('aws-image', `${amiName}-hvm`, '--ami-name');
    const tags = parseTagFlags(args.tags);
    const pollMs = parseDuration(args.pollInterval, '--poll-interval');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const clients = await openAws(args, ctx, dry);
    try {
      if (!dry) await checkRegionKnown(clients);
      const { uploadAmi } = await import('../aws/upload.js');
      const { createProgress } = await import('../convert/progress.js');
      const imp = args.import ? await importTarget(args, clients, name, file, ctx) : undefined;
      const result = await uploadAmi(clients, {
        file,
        name,
        amiName,
        ...(args.amiDescription ? { description: args.amiDescription } : {}),
        architecture: args.board === 'arm64-usr' ? 'arm64' : 'x86_64',
        diskSizeGiB: args.diskSizeGib,
        ...(imp ? { import: imp } : {}),
        grantUsers: args.grantUser ?? [],
        grantSnapshotUsers: args.grantUserSnapshot ?? [],
        public: args.public,
        tags,
        logger: ctx.logger,
        signal: ctx.signal,
        progress: createProgress({ stream: ctx.stderr, logger: ctx.logger }),
        pollMs,
      });
      return dry ? { ...result, dryRun: dry.calls } : result;
    } finally {
      clients.destroy();
    }
  },
  // mantle's last line: one line of JSON with HVM, SnapshotID, S3Object
  print: (r: AwsUploadResult, ctx) =>
    writeOut(ctx, JSON.stringify({ HVM: r.HVM, SnapshotID: r.SnapshotID, S3Object: r.S3Object })),
});

async function versionOf(file: string): Promise<string | undefined> {
  const txt = await readFile(join(dirname(file), 'version.txt'), 'utf8').catch(() => undefined);
  return txt ? parseVersionTxt(txt).version : undefined;
}

function missingName(flag: string): InputError {
  return new InputError({
    code: 'AWS_NO_NAME',
    message: `no ${flag} given and no version.txt beside the image to name it after`,
    hint: `pass ${flag} (and --ami-name)`,
    details: { flag },
  });
}

async function importTarget(
  args: { bucket?: string | undefined; board: string; objectFormat: string; deleteObject: boolean },
  clients: import('../aws/clients.js').AwsClients,
  name: string,
  file: string,
  ctx: { logger: import('@mantle/core/log').Logger; env: NodeJS.ProcessEnv },
): Promise<NonNullable<import('../aws/upload.js').AwsUploadOptions['import']>> {
  const { openStore } = await import('../storage/open-store.js');
  const bucketUrl =
    args.bucket ??
    `s3://flatcar-kola-ami-import-${clients.region}/${ctx.env.USER ?? 'mantle'}/${args.board}/${name}/`;
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(bucketUrl);
  if (!m) {
    throw new InputError({
      code: 'AWS_BAD_BUCKET',
      message: `--bucket ${JSON.stringify(bucketUrl)} is not an s3:// URL`,
      hint: 'write it as s3://bucket/prefix/',
      details: { flag: '--bucket' },
    });
  }
  const prefix = m[2] && !m[2].endsWith('/') ? `${m[2]}/` : (m[2] ?? '');
  const o = clients.options;
  const store = await openStore(`s3://${m[1]}/${prefix}`, {
    logger: ctx.logger,
    s3: {
      region: clients.region,
      accessKeyId: o.credentials.accessKeyId,
      secretAccessKey: o.credentials.secretAccessKey,
      ...(o.credentials.sessionToken ? { sessionToken: o.credentials.sessionToken } : {}),
      ...(o.endpoints?.s3 ? { endpoint: o.endpoints.s3, forcePathStyle: true } : {}),
    },
  });
  const key = basename(file);
  const dry = o.dryRun;
  return {
    bucket: m[1]!,
    key: prefix + key,
    format: args.objectFormat === 'vmdk' ? 'VMDK' : 'RAW',
    deleteObject: args.deleteObject,
    url: `s3://${m[1]}/${prefix}${key}`,
    put: async (f, po) => {
      if (dry) return dry.record('S3', 'PutObject (multipart)', { Bucket: m[1], Key: prefix + key, File: f });
      await store.put(key, f, {
        ...(po.signal ? { signal: po.signal } : {}),
        ...(po.onProgress ? { onProgress: po.onProgress } : {}),
        partSize: 16 * 1024 * 1024,
        concurrency: 4,
      });
    },
    remove: async () => {
      if (dry) return dry.record('S3', 'DeleteObject', { Bucket: m[1], Key: prefix + key });
      await store.delete(key);
    },
  };
}
