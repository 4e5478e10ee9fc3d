import { join } from 'node:path';
import { OperationError, PrerequisiteError } from '@mantle/core/errors';
import type { CommandContext } from '@mantle/core/cli';
import { writeFileAtomic } from '@mantle/core/fs';
import type { PlatformFactory } from '../platform/registry.js';
import { bootOneMachine } from './boot-one.js';
import { chooseImage } from './image-select.js';
import type { RunOptions } from './options.js';

/** What `kola bootchart` wrote. */
export interface BootchartResult {
  machine: string;
  outputDir: string;
  /** `systemd-analyze plot` (SVG) */
  bootchart: string;
  /** `systemd-analyze blame` */
  blame: string;
  /** `systemd-analyze time`'s first line, e.g. `Startup finished in 1.9s (kernel) + 4.6s (userspace) = 6.5s` */
  summary: string;
}

/**
 * `kola bootchart`: boot one machine, wait until it finished booting, and save
 * `systemd-analyze plot` as bootchart.svg and `systemd-analyze blame` as blame.txt in the output
 * directory (mantle's bootchart printed the SVG to stdout; files keep stdout free for --json).
 * An image without systemd-analyze is a PrerequisiteError (exit 3).
 */
export async function bootchartCommand(
  opts: RunOptions,
  ctx: CommandContext,
  deps: { platforms?: Record<string, PlatformFactory> } = {},
): Promise<BootchartResult> {
  const { opts: run } = await chooseImage(opts, ctx.env, ctx.cwd);
  const booted = await bootOneMachine(run, ctx, {
    command: 'bootchart',
    ...(deps.platforms ? { platforms: deps.platforms } : {}),
  });
  try {
    const m = booted.machine;
    const has = await m.ssh('command -v systemd-analyze', { timeoutMs: 60_000 });
    if (has.exitCode !== 0) {
      throw new PrerequisiteError({
        code: 'NO_SYSTEMD_ANALYZE',
        message: `the image booted as ${m.id} has no systemd-analyze (it is not a systemd system, or systemd is not installed)`,
        hint: 'boot an image with systemd, e.g. --image systemd (images/systemd/build.sh)',
      });
    }
    const run1 = async (args: string): Promise<string> => {
      const r = await m.ssh(`systemd-analyze ${args}`, { timeoutMs: 300_000 });
      if (r.exitCode !== 0) {
        throw new OperationError({
          code: 'SYSTEMD_ANALYZE_FAILED',
          message: `systemd-analyze ${args} on ${m.id} exited ${r.exitCode}: ${r.stderr.trim()}`,
          hint: 'the boot may not have finished; look at the console and journal in the output directory',
        });
      }
      return r.stdout;
    };
    const summary = (await run1('time')).split('\n')[0]?.trim() ?? '';
    const svg = await run1('plot');
    const blame = await run1('--no-pager blame');
    const result: BootchartResult = {
      machine: m.id,
      outputDir: booted.outputDir,
      bootchart: join(booted.outputDir, 'bootchart.svg'),
      blame: join(booted.outputDir, 'blame.txt'),
      summary,
    };
    await writeFileAtomic(result.bootchart, svg);
    await writeFileAtomic(result.blame, blame);
    return result;
  } finally {
    await booted.close();
  }
}
