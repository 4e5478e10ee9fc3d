// kola's gcloud platform: Compute Engine instances through ore's GCE layer, on the generic cloud flight.
import { platformCloudFlight, type CloudFlight } from '../cloud/flight.js';
import type { PlatformContext } from '../registry.js';
import { gcloudProvider } from './provider.js';

/** The gcloud Flight of a run (`kola run -p gcloud`, mantle's `-p gce`). */
export async function createGcloudFlight(ctx: PlatformContext): Promise<CloudFlight> {
  const provider = await gcloudProvider(ctx.run.gce, {
    env: ctx.env,
    cwd: ctx.cwd ?? process.cwd(),
    logger: ctx.logger,
  });
  return platformCloudFlight(ctx, provider);
}
