import { UsageError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { qemuFlightOptions, type RunOptions } from '../run/options.js';
import type { Flight } from './types.js';

/** What a platform factory gets to create the run's Flight. */
export interface PlatformContext {
  run: RunOptions;
  /** the run's output directory */
  outputDir: string;
  logger: Logger;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** the caller's directory (relative credential file paths) */
  cwd?: string;
  /** the kolet executable the run's tests need, for platforms that can attach it to machines */
  kolet?: { path: string; sha256: string } | undefined;
}

/** Creates a platform's Flight; imports the platform's code lazily so start-up stays fast. */
export type PlatformFactory = (ctx: PlatformContext) => Promise<Flight>;

/** The platforms `-p/--platform` accepts. Cloud platforms join here, each imported lazily. */
export const platforms: Record<string, PlatformFactory> = {
  qemu: async (ctx) => {
    const { createQemuFlight } = await import('./qemu/index.js');
    if (ctx.run.qemu.vnc !== undefined)
      ctx.logger.warn(
        '--qemu-vnc is accepted for compatibility but the qemu platform has no VNC display yet; ignored',
      );
    return createQemuFlight(
      qemuFlightOptions(
        ctx.run,
        { outputDir: ctx.outputDir, logger: ctx.logger, signal: ctx.signal },
        ctx.env,
        ctx.kolet,
      ),
    );
  },
  aws: async (ctx) => {
    const { createAwsFlight } = await import('./aws/index.js');
    return createAwsFlight(ctx);
  },
  gcloud: async (ctx) => {
    const { createGcloudFlight } = await import('./gcloud/index.js');
    return createGcloudFlight(ctx);
  },
  azure: async (ctx) => {
    const { createAzureFlight } = await import('./azure/index.js');
    return createAzureFlight(ctx);
  },
};

/** The factory of a platform, or a UsageError (exit 2) listing the known platforms. */
export function resolvePlatform(
  name: string,
  registry: Record<string, PlatformFactory> = platforms,
): PlatformFactory {
  const f = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (!f) {
    throw new UsageError({
      code: 'UNKNOWN_PLATFORM',
      message: `--platform ${name}: unknown platform; known platforms: ${Object.keys(registry).sort().join(', ')}`,
      hint: `pass one of: ${Object.keys(registry).sort().join(', ')}`,
      details: { platform: name, known: Object.keys(registry).sort() },
    });
  }
  return f;
}
