import { defineCommand } from '@mantle/core/cli';
import { platformFlags, platformOptions } from './platform-flags.js';

/** `kola spawn`: boot machines and say how to reach them; Ctrl-C (or --stop) destroys them. */
export const spawnSpec = defineCommand({
  command: 'spawn',
  examples: [
    [
      '$0 spawn -p qemu --qemu-image flatcar_production_qemu_image.img --shell',
      'boot one machine and open a shell on it',
    ],
    [
      '$0 spawn -p qemu --qemu-image flatcar_production_qemu_image.img -c 3 -u config.bu --detach',
      'boot three machines from a Butane config and leave them running',
    ],
    ['$0 spawn --stop', 'stop the machines a --detach spawn left running'],
  ],
  describe: 'boot machines and print how to reach them (Ctrl-C destroys them)',
  builder: (y) =>
    platformFlags(y)
      .option('nodecount', { alias: 'c', type: 'number', default: 1, describe: 'how many machines' })
      .option('userdata', {
        alias: 'u',
        type: 'string',
        describe: 'Butane or Ignition file for the machines',
      })
      .option('shell', {
        alias: 's',
        type: 'boolean',
        default: false,
        describe: 'open a shell on the first machine; destroy all when it exits',
      })
      .option('detach', {
        type: 'boolean',
        default: false,
        describe: 'leave the machines running in a background kola and exit',
      })
      .option('stop', { type: 'string', describe: 'stop the detached spawn whose output directory this is' })
      .option('options-file', { type: 'string', hidden: true }),
  run: async (a, ctx) => {
    const spawn = await import('../run/spawn-command.js');
    if (a.stop) return spawn.stopSpawn(a.stop, ctx).then(() => undefined);
    const opts = a.optionsFile
      ? await spawn.readSpawnOptionsFile(a.optionsFile)
      : await import('../run/options.js').then(({ parseRunOptions }) => {
          // validate the shared flags with run's schema (flag names in errors), then the rest
          parseRunOptions({ ...platformOptions(a) });
          return spawn.parseSpawnOptions({
            ...platformOptions(a),
            nodecount: a.nodecount,
            userdata: a.userdata,
            shell: a.shell,
            detach: a.detach,
          });
        });
    await spawn.spawnCommand(opts, ctx);
    return undefined;
  },
});
