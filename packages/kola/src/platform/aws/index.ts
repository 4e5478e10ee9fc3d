// kola's aws platform: EC2 instances through ore's EC2 layer, on the generic cloud flight.
import { platformCloudFlight, type CloudFlight } from '../cloud/flight.js';
import type { PlatformContext } from '../registry.js';
import { awsProvider } from './provider.js';

/** The aws Flight of a run (`kola run -p aws`). */
export async function createAwsFlight(ctx: PlatformContext): Promise<CloudFlight> {
  const provider = await awsProvider(ctx.run.aws, {
    env: ctx.env,
    cwd: ctx.cwd ?? process.cwd(),
    logger: ctx.logger,
  });
  return platformCloudFlight(ctx, provider);
}
