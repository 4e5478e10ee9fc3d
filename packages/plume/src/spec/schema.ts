import { checkSegment, splitRelative } from '@mantle/core/fs';
import { z } from 'zod';

// A release spec is data: channels (alpha, beta, stable, lts, developer, ...) × boards → where a
// build comes from and where it goes. The built-in spec (builtin.ts) and `--spec FILE` (YAML or
// JSON) share this schema. Strings may hold placeholders, filled per run:
//   {channel} {board} (amd64-usr) {arch} (amd64: the board without -usr) {version}

/** The placeholders a spec string may hold. */
export const PLACEHOLDERS = ['channel', 'board', 'arch', 'version'] as const;
const knownPlaceholders = (s: string): boolean =>
  [...s.matchAll(/\{([^{}]*)\}/g)].every((m) => (PLACEHOLDERS as readonly string[]).includes(m[1]!));
const placeholderMessage = `unknown placeholder; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`;
const template = z.string().min(1).refine(knownPlaceholders, placeholderMessage);
// A spec is input plume does not trust: names that become file names in the cache or keys under
// a store root are checked with core's confinement rules (no '/', '..', absolute paths or control
// characters), so a spec cannot make plume read or write outside the directories it names.
const passes = (check: () => unknown): boolean => {
  try {
    check();
    return true;
  } catch {
    return false;
  }
};
/** One file name (the source directory's artifacts, blob names): no '/', not '..', no control characters. */
const fileName = template.refine((s) => passes(() => checkSegment(s, 'name')), {
  message: "a plain file name: no '/', not '.' or '..', no control characters",
});
/** A directory below a store root: relative, no '..' component, no control characters. */
const relativeDir = template.refine((s) => passes(() => splitRelative(s, 'path')), {
  message: "a path relative to the store root: no leading '/', no '..' component, no control characters",
});
const name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -');
const board = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a board name such as amd64-usr');
// Where plume reads from or writes to: any store ore opens, or http(s) for reading.
const storeUrl = z
  .string()
  .regex(
    /^(file:\/\/\/|s3:\/\/[^/]|gs:\/\/[^/]|azure:\/\/[^/]+\/[^/]|https?:\/\/)/,
    'a URL: file:///dir, s3://bucket/prefix, gs://bucket/prefix, azure://account/container/prefix or http(s)://',
  )
  .refine(knownPlaceholders, placeholderMessage);
const writableStoreUrl = z
  .string()
  .regex(
    /^(file:\/\/\/|s3:\/\/[^/]|gs:\/\/[^/]|azure:\/\/[^/]+\/[^/]|https:\/\/[^/]+\.blob\.core\.windows\.net\/)/,
    'a writable store URL: file:///dir, s3://bucket/prefix, gs://bucket/prefix or azure://account/container/prefix',
  )
  .refine(knownPlaceholders, placeholderMessage);
// A destination applies to these boards only (all of the channel's boards when absent).
const boards = z.array(board).min(1).optional();

/** One AWS partition (aws, aws-cn, ...): its own credentials, import bucket and regions. */
export const awsPartitionSchema = z
  .object({
    /** printable name, e.g. "AWS China" */
    name: z.string().min(1),
    /** the profile in ~/.aws/credentials */
    profile: z.string().min(1).default('default'),
    /** the S3 bucket images are staged in for ImportSnapshot */
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
    bucketRegion: z.string().min(1),
    /** regions the AMI is copied to; must include bucketRegion */
    regions: z.array(z.string().min(1)).min(1),
    /** accounts given launch permission at pre-release (before the image is public) */
    launchPermissions: z.array(z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id')).default([]),
  })
  .strict()
  .refine((p) => p.regions.includes(p.bucketRegion), {
    message: 'regions must include bucketRegion (the AMI is registered there first)',
    path: ['regions'],
  });

export const awsSchema = z
  .object({
    boards,
    /** AMI name prefix: `<baseName>-<channel>-<version>[-arm64]-hvm` */
    baseName: z.string().min(1).default('Flatcar'),
    baseDescription: z.string().min(1).default('Flatcar Container Linux'),
    /** file-name prefix of the AMI lists written beside the source */
    listPrefix: z
      .string()
      .min(1)
      .refine((s) => passes(() => checkSegment(`${s}all.json`, 'name')), {
        message: "a file-name prefix: no '/', no control characters",
      })
      .default('flatcar_production_ami_'),
    /** the artifact in the source directory (compressed or not) */
    image: fileName.default('flatcar_production_ami_image.bin.bz2'),
    /** what ImportSnapshot is given (converted with ore when the artifact is something else) */
    format: z.enum(['raw', 'vmdk']).default('raw'),
    partitions: z.array(awsPartitionSchema).min(1),
  })
  .strict();

export const gceSchema = z
  .object({
    boards,
    project: z.string().min(1),
    /** image family; images are named `<family>-<version with . and + as ->[-arm64]` */
    family: name,
    description: z.string().default(''),
    licenses: z.array(z.string().min(1)).default([]),
    image: fileName.default('flatcar_production_gce.tar.gz'),
    /** where the tarball is staged for images.insert: GCE reads only Cloud Storage */
    staging: z
      .string()
      .regex(/^gs:\/\/[^/]/, 'a gs://bucket/prefix URL (GCE makes images only from Cloud Storage objects)')
      .refine(knownPlaceholders, placeholderMessage),
    /** older images of the family kept (deprecated) on release; older ones beyond it are deleted (0: none) */
    limit: z.number().int().min(0).default(10),
  })
  .strict();

export const azureGallerySchema = z
  .object({
    subscription: z.string().min(1).optional(),
    resourceGroup: z.string().min(1),
    /** the Shared Image Gallery */
    name: z.string().min(1),
    /** the gallery image definition the version is added to */
    imageDefinition: z.string().min(1),
    /** regions the version is replicated to */
    regions: z.array(z.string().min(1)).min(1),
    /**
     * share the gallery publicly as an Azure community gallery at release, with these publisher
     * details (Azure shows them beside the gallery); without it the versions stay private
     */
    community: z
      .object({
        publisherUri: z.string().regex(/^https?:\/\/[^\s/]+/, 'an http(s) URL of the publisher'),
        publisherContact: z
          .string()
          .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, "the publisher's support e-mail address"),
        eula: z.string().min(1),
        publicNamePrefix: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'letters, digits and -, starting with a letter or digit'),
      })
      .strict()
      .optional(),
  })
  .strict();

export const azureSchema = z
  .object({
    boards,
    image: fileName.default('flatcar_production_azure_image.vhd.bz2'),
    /** the container VHDs are uploaded to as page blobs (azure://account/container[/prefix]) */
    blobs: writableStoreUrl,
    blobName: fileName.default('flatcar-linux-{version}-{channel}-{arch}.vhd'),
    /** published at release as a gallery image version named after the version */
    gallery: azureGallerySchema.optional(),
  })
  .strict();

/** A public store the release's artifacts are copied to, with browsable index pages. */
export const storageDestinationSchema = z
  .object({
    boards,
    url: writableStoreUrl,
    /** the page title's first part (default: the store's bucket name) */
    title: z.string().min(1).optional(),
    /** directories under url that receive the artifacts, e.g. {board}/{version} and {board}/current */
    paths: z.array(relativeDir).min(1).default(['{board}/{version}']),
    /** write index.html pages for these directories and their parents */
    index: z.boolean().default(true),
    /** delete objects in those directories that the source no longer has (keeps `current` exact) */
    delete: z.boolean().default(true),
  })
  .strict();

export const channelSchema = z
  .object({
    description: z.string().default(''),
    boards: z.array(board).min(1),
    /** the build's directory, e.g. https://bincache.flatcar-linux.net/images/{arch}/{version}/ */
    source: storeUrl,
    /** a public key (path, relative to the spec file) the source's signatures are checked with */
    verifyKey: z.string().min(1).optional(),
    aws: awsSchema.optional(),
    gce: gceSchema.optional(),
    azure: azureSchema.optional(),
    storage: z.array(storageDestinationSchema).default([]),
  })
  .strict();

export const releaseSpecSchema = z
  .object({
    channels: z.record(name, channelSchema).refine((c) => Object.keys(c).length > 0, 'no channels'),
  })
  .strict();

export type ReleaseSpecInput = z.input<typeof releaseSpecSchema>;
export type ReleaseSpec = z.output<typeof releaseSpecSchema>;
export type ChannelSpec = z.output<typeof channelSchema>;
export type AwsSpec = z.output<typeof awsSchema>;
export type AwsPartitionSpec = z.output<typeof awsPartitionSchema>;
export type GceSpec = z.output<typeof gceSchema>;
export type AzureSpec = z.output<typeof azureSchema>;
export type AzureGallerySpec = z.output<typeof azureGallerySchema>;
export type StorageDestinationSpec = z.output<typeof storageDestinationSchema>;
