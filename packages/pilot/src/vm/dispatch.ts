// Which runtime launches a vm flake: firecracker (when installed and KVM works), else qemu for a
// plain run (launch.ts) or a resume VM (resume.ts). Kept apart from launch.ts so that resume.ts can
// use launch.ts's helpers without an import cycle.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../launch/cache.js';
import type { LaunchContext } from '../launch/context.js';
import { resolveRunAs } from '../launch/run-as.js';
import { chooseAccel } from './accel.js';
import { plainVm, type VmRun } from './launch.js';
import { qemuBinary, vmSetup } from './setup.js';

/** Launch a vm flake; resolves with the app's exit code. */
export async function launchVm(ctx: LaunchContext): Promise<number> {
  const setup = await vmSetup(ctx);
  const flake = ctx.resolved.flake;
  const hv =
    flake.engine === 'vm'
      ? (flake.data.vm.runtime.hypervisor ?? ctx.env.MANTLE_PILOT_HYPERVISOR ?? 'auto')
      : 'auto';
  const { firecrackerChoice, launchFirecracker } = await import('./firecracker.js');
  if ((await firecrackerChoice(hv, setup, ctx)) === 'firecracker') return launchFirecracker(ctx, setup);
  const qemu = qemuBinary();
  const who = await resolveRunAs(flake.engine === 'vm' ? flake.data.vm.runtime.runas : undefined, setup.file);
  const cache = join(cacheDir(ctx.env) ?? join(tmpdir(), `pilot-${ctx.caller.uid}`), 'vm');
  const { ownDir } = await import('../launch/private-dir.js');
  await ownDir(cache, ctx.caller.uid);
  const accel = await chooseAccel(qemu, ctx.env, cache);
  const run: VmRun = { setup, qemu, who, accel, cache };
  if (setup.resume) return (await import('./resume.js')).launchResumeVm(ctx, run);
  return plainVm(ctx, run);
}
