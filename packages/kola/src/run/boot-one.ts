import { join } from 'node:path';
import { onCleanup, type CommandContext } from '@mantle/core/cli';
import { prepareOutputDir } from '../output/output-dir.js';
import {
  platforms as defaultPlatforms,
  resolvePlatform,
  type PlatformFactory,
} from '../platform/registry.js';
import type { Cluster, Flight, Machine } from '../platform/types.js';
import type { RunOptions } from './options.js';

/** One booted machine for a command that is not a test run (check, bootchart). */
export interface BootedMachine {
  machine: Machine;
  /** the command's output directory; the machine's files are in machine.outputDir */
  outputDir: string;
  /** destroy the machine and the flight (honours --remove=false only by logging) */
  close(): Promise<void>;
}

/**
 * Prepare `_kola_temp/<platform>-<command>-<stamp>-<pid>` (or --output-dir), create the
 * platform's flight and boot one machine with the given user data. Everything is torn down by
 * close(), on failure, and on interrupt.
 */
export async function bootOneMachine(
  opts: RunOptions,
  ctx: CommandContext,
  o: {
    command: string;
    userData?: string | undefined;
    platforms?: Record<string, PlatformFactory>;
    /** the kolet executable the command will run, for platforms that can attach it */
    kolet?: { path: string; sha256: string } | undefined;
  },
): Promise<BootedMachine> {
  const factory = resolvePlatform(opts.platform, o.platforms ?? defaultPlatforms);
  const out = await prepareOutputDir({
    cwd: ctx.cwd,
    platform: `${opts.platform}-${o.command}`,
    outputDir: opts.outputDir,
    latestLink: false,
  });
  let flight: Flight | undefined;
  let cluster: Cluster | undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await cluster
        ?.destroy()
        .catch((e: unknown) => ctx.logger.warn(`destroying the machine failed: ${String(e)}`));
      await flight
        ?.destroy()
        .catch((e: unknown) => ctx.logger.warn(`destroying the flight failed: ${String(e)}`));
      unregister();
    })());
  const unregister = onCleanup(() => close(), `kola ${o.command}`);
  try {
    flight = await factory({
      run: opts,
      outputDir: out.dir,
      logger: ctx.logger,
      signal: ctx.signal,
      env: ctx.env,
      ...(o.kolet ? { kolet: o.kolet } : {}),
    });
    cluster = await flight.newCluster({
      name: `${opts.basename}-${o.command}`,
      outputDir: join(out.dir, 'machines'),
      privateNetwork: false,
      signal: ctx.signal,
    });
    const started = performance.now();
    const machine = await cluster.newMachine(o.userData);
    ctx.logger.info(
      `${machine.id} is up after ${((performance.now() - started) / 1000).toFixed(1)} s (output in ${machine.outputDir})`,
    );
    return { machine, outputDir: out.dir, close };
  } catch (err) {
    await close();
    throw err;
  }
}
