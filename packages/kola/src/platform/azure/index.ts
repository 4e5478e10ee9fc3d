// kola's azure platform: ARM virtual machines through ore's Azure layer, on the generic cloud flight.
import { platformCloudFlight, type CloudFlight } from '../cloud/flight.js';
import type { PlatformContext } from '../registry.js';
import { azureProvider } from './provider.js';

/** The azure Flight of a run (`kola run -p azure`). */
export async function createAzureFlight(ctx: PlatformContext): Promise<CloudFlight> {
  const provider = await azureProvider(ctx.run.azure, {
    env: ctx.env,
    cwd: ctx.cwd ?? process.cwd(),
    logger: ctx.logger,
  });
  return platformCloudFlight(ctx, provider);
}
