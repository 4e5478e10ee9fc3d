import { UsageError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import type { CloudCleaner } from './provider.js';
import type { RunHeader } from './run-journal.js';

/** What `kola cleanup` passes a platform's cleaner: credentials flags and process state. */
export interface CleanerContext {
  /** --aws-profile / --aws-config-file (the run's own profile otherwise) */
  awsProfile?: string | undefined;
  awsConfigFile?: string | undefined;
  /** --gce-json-key (the run's own key file otherwise) */
  gceJsonKey?: string | undefined;
  /** --azure-profile / --azure-config-file (the run's own otherwise) */
  azureProfile?: string | undefined;
  azureConfigFile?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: Logger;
}

type CleanerFactory = (header: RunHeader, ctx: CleanerContext) => Promise<CloudCleaner>;

// One entry per cloud platform, each imported lazily like the platforms themselves.
const cleaners: Record<string, CleanerFactory> = {
  aws: async (header, ctx) => {
    const { awsCleaner } = await import('../aws/provider.js');
    return awsCleaner(
      header,
      { profile: ctx.awsProfile, configFile: ctx.awsConfigFile },
      { env: ctx.env, cwd: ctx.cwd, logger: ctx.logger },
    );
  },
  gcloud: async (header, ctx) => {
    const { gcloudCleaner } = await import('../gcloud/provider.js');
    return gcloudCleaner(
      header,
      { jsonKey: ctx.gceJsonKey },
      { env: ctx.env, cwd: ctx.cwd, logger: ctx.logger },
    );
  },
  azure: async (header, ctx) => {
    const { azureCleaner } = await import('../azure/provider.js');
    return azureCleaner(
      header,
      { profile: ctx.azureProfile, configFile: ctx.azureConfigFile },
      { env: ctx.env, cwd: ctx.cwd, logger: ctx.logger },
    );
  },
};

/** The cleaner of the platform a state file names (exit 2 for a platform kola cannot clean). */
export function cleanerFor(header: RunHeader, ctx: CleanerContext): Promise<CloudCleaner> {
  const f = Object.hasOwn(cleaners, header.platform) ? cleaners[header.platform] : undefined;
  if (!f) {
    throw new UsageError({
      code: 'KOLA_CLEANUP_PLATFORM',
      message: `run ${header.runId} is on platform ${header.platform}, which kola cannot clean up`,
      hint: `delete its resources with that cloud's tools (they are tagged KolaRunId=${header.runId})`,
      details: { runId: header.runId, platform: header.platform },
    });
  }
  return f(header, ctx);
}
