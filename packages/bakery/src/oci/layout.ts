import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationError, errorMessage } from '@mantle/core/errors';
import { z } from 'zod';

// The OCI image layout skopeo wrote (index.json → manifest → config), read for what the command
// reports and what --run needs: layer count, architecture, the image's environment.

const descriptor = z.object({
  mediaType: z.string().optional(),
  digest: z.string().regex(/^[a-z0-9]+:[0-9a-f]+$/),
  size: z.number().optional(),
});
const indexSchema = z.object({
  manifests: z.array(descriptor.extend({ annotations: z.record(z.string(), z.string()).optional() })).min(1),
});
const manifestSchema = z.object({ config: descriptor, layers: z.array(descriptor) });
const configSchema = z.object({
  architecture: z.string().optional(),
  os: z.string().optional(),
  variant: z.string().optional(),
  config: z.object({ Env: z.array(z.string()).nullish(), WorkingDir: z.string().nullish() }).nullish(),
});

export interface LayoutImage {
  /** digest of the manifest that was unpacked, as stored in the layout */
  manifestDigest: string;
  layers: number;
  architecture: string | undefined;
  os: string | undefined;
  /** the image's environment (`KEY=value`), empty when it sets none */
  env: string[];
}

/** Read the image tagged `tag` in an OCI layout directory. */
export async function readLayoutImage(layout: string, tag: string): Promise<LayoutImage> {
  const index = check(indexSchema, await readJson(join(layout, 'index.json')), 'index.json');
  const desc =
    index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag) ??
    index.manifests[0]!;
  const manifest = check(manifestSchema, await readBlob(layout, desc.digest), `manifest ${desc.digest}`);
  const config = check(
    configSchema,
    await readBlob(layout, manifest.config.digest),
    `config ${manifest.config.digest}`,
  );
  return {
    manifestDigest: desc.digest,
    layers: manifest.layers.length,
    architecture: config.architecture,
    os: config.os,
    env: config.config?.Env ?? [],
  };
}

/** The digest of raw manifest bytes, as registries compute it. */
export function manifestDigest(raw: string | Buffer): string {
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new OperationError({
    code: 'OCI_BAD_LAYOUT',
    message: `the image's ${what} is not what the OCI image spec describes${issue ? ` (${issue.path.join('.') || 'top level'}: ${issue.message})` : ''}`,
    hint: 'the image is malformed or uses a format skopeo could not convert to OCI; try pulling it with skopeo copy to see more',
  });
}

async function readBlob(layout: string, digest: string): Promise<unknown> {
  const [algo, hex] = digest.split(':') as [string, string];
  return readJson(join(layout, 'blobs', algo, hex));
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new OperationError({
      code: 'OCI_BAD_LAYOUT',
      message: `${file} is not JSON: ${errorMessage(err)}`,
      hint: 'this is a skopeo output file; report it with the IMAGE that produced it',
      cause: err,
    });
  }
}
