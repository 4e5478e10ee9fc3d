import type { CheckContext } from '../context.js';
import { expectContainsAll, expectEqual, gateOnExists, type Outcome } from '../outcome.js';
import { findMount, type MountEntry } from '../system/mountinfo.js';
import type { MountProps } from '../types.js';

/** Check a mount point (from /proc/self/mountinfo): exists, opts and vfs-opts (all present), source, filesystem. */
export async function checkMount(id: string, props: MountProps, ctx: CheckContext): Promise<Outcome[]> {
  const m = findMount(await ctx.mounts(), id);
  return gateOnExists(
    props,
    m !== undefined,
    'mount',
    () => {
      const e = m as MountEntry;
      const out: Outcome[] = [];
      if (props.opts !== undefined) out.push(expectContainsAll('opts', props.opts, e.opts));
      if (props['vfs-opts'] !== undefined)
        out.push(expectContainsAll('vfs-opts', props['vfs-opts'], e.vfsOpts));
      if (props.source !== undefined) out.push(expectEqual('source', props.source, e.source));
      if (props.filesystem !== undefined) out.push(expectEqual('filesystem', props.filesystem, e.filesystem));
      return out;
    },
    { opts: props.opts, 'vfs-opts': props['vfs-opts'], source: props.source, filesystem: props.filesystem },
  );
}
