import type { Argv } from 'yargs';
import type { ObjectStore, OpenStoreOptions } from '@mantle/ore/storage';

const CHANNEL = {
  alias: 'C',
  type: 'string',
  describe: 'channel (alpha, beta, stable, lts, developer, or one of --spec)',
} as const;
const BOARD = { alias: 'B', type: 'string', describe: 'board (amd64-usr, arm64-usr)' } as const;
const VERSION = { alias: 'V', type: 'string', describe: 'release version, e.g. 4081.2.0' } as const;

/** `--spec FILE`. -V is the release version in plume's commands, as in Flatcar's plume (`plume --version` still prints plume's). */
export function specFlag<T>(y: Argv<T>) {
  return y.version(false).option('spec', {
    type: 'string',
    describe: 'release spec file (YAML or JSON) instead of the built-in one',
  });
}

/** `--spec FILE` and the required `-C CHANNEL -B BOARD -V VERSION` every release command takes. */
export function releaseFlags<T>(y: Argv<T>) {
  return specFlag(y)
    .option('channel', { ...CHANNEL, demandOption: true })
    .option('board', { ...BOARD, demandOption: true })
    .option('version', { ...VERSION, demandOption: true });
}

/** The same with -C/-B/-V optional (spec show). */
export function optionalReleaseFlags<T>(y: Argv<T>) {
  return specFlag(y).option('channel', CHANNEL).option('board', BOARD).option('version', VERSION);
}

/** Connection flags of the object stores (emulators, S3-compatible servers). */
export interface StoreFlags {
  s3Endpoint?: string | undefined;
  s3Region?: string | undefined;
  gcsEndpoint?: string | undefined;
  azureEndpoint?: string | undefined;
}

/** Adds the store connection flags; credentials come from the usual places (env, ~/.aws, ADC). */
export function storeFlags<T>(y: Argv<T>) {
  return y
    .option('s3-endpoint', {
      type: 'string',
      describe: 'S3 endpoint (S3-compatible servers); path-style addressing',
    })
    .option('s3-region', { type: 'string', describe: 'S3 region' })
    .option('gcs-endpoint', { type: 'string', describe: 'Cloud Storage API endpoint (local servers)' })
    .option('azure-endpoint', {
      type: 'string',
      describe: 'Azure blob service URL, e.g. http://127.0.0.1:10000/devstoreaccount1 (Azurite)',
    });
}

/** The openStore options the store flags ask for. */
export function storeOptions(
  a: StoreFlags,
  ctx: { cwd: string; env: NodeJS.ProcessEnv; logger: OpenStoreOptions['logger'] },
): OpenStoreOptions {
  return {
    cwd: ctx.cwd,
    env: ctx.env,
    ...(ctx.logger ? { logger: ctx.logger } : {}),
    s3: {
      ...(a.s3Endpoint !== undefined ? { endpoint: a.s3Endpoint, forcePathStyle: true } : {}),
      ...(a.s3Region !== undefined ? { region: a.s3Region } : {}),
      // The SDK's chain reads process.env; the command's env is the one that counts.
      ...(ctx.env.AWS_ACCESS_KEY_ID && ctx.env.AWS_SECRET_ACCESS_KEY
        ? {
            accessKeyId: ctx.env.AWS_ACCESS_KEY_ID,
            secretAccessKey: ctx.env.AWS_SECRET_ACCESS_KEY,
            ...(ctx.env.AWS_SESSION_TOKEN ? { sessionToken: ctx.env.AWS_SESSION_TOKEN } : {}),
          }
        : {}),
    },
    ...(a.gcsEndpoint !== undefined ? { gcs: { apiEndpoint: a.gcsEndpoint } } : {}),
    ...(a.azureEndpoint !== undefined ? { azure: { endpoint: a.azureEndpoint } } : {}),
  };
}

/** Open the store at `url` with the store flags, run `fn` with it, and close it. */
export async function withStore<T>(
  url: string,
  a: StoreFlags,
  ctx: { cwd: string; env: NodeJS.ProcessEnv; logger: OpenStoreOptions['logger'] },
  fn: (store: ObjectStore) => Promise<T>,
): Promise<T> {
  const { openStore } = await import('@mantle/ore/storage');
  const store = await openStore(url, storeOptions(a, ctx));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
