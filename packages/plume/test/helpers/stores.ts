// s3rver and Azurite for plume's tests, with the env and flags the plume CLI reaches them by.
import { openStore, type ObjectStore } from '@mantle/ore/storage';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  azuriteService,
  startAzurite,
  type AzuriteHandle,
} from '@mantle/test-utils/azurite';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from '@mantle/test-utils/s3rver';

export { AZURITE_ACCOUNT };

export interface Stores {
  s3: S3rverHandle;
  azurite: AzuriteHandle;
  /** process.env plus the services' credentials */
  env: NodeJS.ProcessEnv;
  /** --s3-endpoint/--s3-region/--azure-endpoint for plume */
  flags: string[];
  /** open `s3://...` or `azure://...` (or a file path) as the CLI would */
  open(url: string): Promise<ObjectStore>;
  close(): Promise<void>;
}

/** Start s3rver with `buckets` and Azurite with `containers` (public-read when `publicContainers`). */
export async function startStores(opts: {
  buckets: string[];
  containers: string[];
  publicContainers?: boolean;
}): Promise<Stores> {
  const [s3, azurite] = await Promise.all([startS3rver(opts.buckets), startAzurite()]);
  const svc = await azuriteService(azurite);
  for (const c of opts.containers)
    await svc.getContainerClient(c).create(opts.publicContainers ? { access: 'blob' } : {});
  return {
    s3,
    azurite,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AZURE_STORAGE_KEY: AZURITE_KEY,
    },
    flags: ['--s3-endpoint', s3.endpoint, '--s3-region', 'us-east-1', '--azure-endpoint', azurite.endpoint],
    open: (url) =>
      openStore(url, {
        s3: { endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', ...S3RVER_CREDENTIALS },
        azure: { endpoint: azurite.endpoint, accountKey: AZURITE_KEY },
      }),
    close: async () => {
      await Promise.allSettled([s3.close(), azurite.close()]);
    },
  };
}
