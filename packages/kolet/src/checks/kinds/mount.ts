import { statfs } from 'node:fs/promises';
import type { CheckContext } from '../context.js';
import { findMount } from '../system/mountinfo.js';
import type { MountProps } from '../types.js';
import { SystemError, type ResourceRun } from '../validate-value.js';
import { once } from './common.js';

/**
 * A mount point (the topmost mount of /proc/self/mountinfo): exists, then opts (per-mount,
 * each once), vfs-opts (superblock), source, filesystem and usage (percent of blocks used).
 */
export async function checkMount(
  run: ResourceRun,
  id: string,
  props: MountProps,
  ctx: CheckContext,
): Promise<void> {
  const point = props.mountpoint ?? id;
  const entry = once(async () => findMount(await ctx.mounts(), point));
  const mounted = async () => {
    const e = await entry();
    if (!e) throw new SystemError(`Mountpoint not found: ${point}`);
    return e;
  };
  await run.check('exists', props.exists, async () => (await entry()) !== undefined);
  run.gateOnFirst();
  if (props.opts != null)
    await run.check('opts', props.opts, async () => [...new Set((await mounted()).opts)]);
  if (props['vfs-opts'] != null)
    await run.check('vfs-opts', props['vfs-opts'], async () => (await mounted()).vfsOpts);
  if (props.source != null) await run.check('source', props.source, async () => (await mounted()).source);
  if (props.filesystem != null)
    await run.check('filesystem', props.filesystem, async () => (await mounted()).filesystem);
  if (props.usage != null)
    await run.check('usage', props.usage, async () => {
      await mounted();
      const s = await statfs(point);
      return s.blocks === 0 ? 0 : Math.round((1 - s.bfree / s.blocks) * 100);
    });
}
