import type { Argv } from 'yargs';
import type { CommandContext } from '@mantle/core/cli';
import type { Store } from '../store/registry.js';

/** `--root DIR` and `--user`, the options every store command takes. */
export function storeOptions<T>(y: Argv<T>) {
  return y
    .option('root', {
      type: 'string',
      describe:
        'treat DIR as the host root: flakes.yml, flakes, images and app links all under it (env MANTLE_PILOT_ROOT)',
    })
    .option('user', {
      type: 'boolean',
      default: false,
      describe: "the caller's own setup (~/.config/flakes.yml, rootless), not the system's",
    });
}

/** Open the store a command's --root/--user select. */
export async function storeFor(
  args: { root?: string | undefined; user: boolean },
  ctx: CommandContext,
): Promise<Store> {
  const { openStore } = await import('../store/registry.js');
  return openStore({ root: args.root, user: args.user, env: ctx.env, cwd: ctx.cwd });
}
