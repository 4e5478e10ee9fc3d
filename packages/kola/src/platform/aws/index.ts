// kola's aws platform: EC2 instances through ore's EC2 layer, on the generic cloud flight.
import { createCloudFlight, readPublicKeys, type CloudFlight } from '../cloud/flight.js';
import { userKeyPath } from '../../run/options.js';
import type { PlatformContext } from '../registry.js';
import { awsProvider } from './provider.js';

export { awsCleaner, awsProvider, type AwsPlatformOptions } from './provider.js';

/** The aws Flight of a run (`kola run -p aws`). */
export async function createAwsFlight(ctx: PlatformContext): Promise<CloudFlight> {
  const cwd = ctx.cwd ?? process.cwd();
  const userKey = userKeyPath(ctx.run);
  const provider = await awsProvider(ctx.run.aws, { env: ctx.env, cwd, logger: ctx.logger });
  return createCloudFlight({
    provider,
    outputDir: ctx.outputDir,
    logger: ctx.logger,
    signal: ctx.signal,
    env: ctx.env,
    sshRetries: ctx.run.sshRetries,
    sshTimeoutSec: ctx.run.sshTimeoutSec,
    basename: ctx.run.basename,
    ttlMs: ctx.run.cloudTtlMs,
    remove: ctx.run.remove,
    userPublicKeys: await readPublicKeys(userKey ? [userKey] : []),
  });
}
