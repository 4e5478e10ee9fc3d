import { withExamples, type CommandBinder, type GlobalArgs } from '@mantle/core/cli';
import type { CommandModule } from 'yargs';
import { bwrapRegisterSpec } from './bwrap-register.js';
import { bwrapRemoveSpec } from './bwrap-remove.js';
import { podmanLoadSpec } from './podman-load.js';
import { podmanPullSpec } from './podman-pull.js';
import { podmanRegisterSpec } from './podman-register.js';
import { podmanRemoveSpec } from './podman-remove.js';
import { vmPullSpec } from './vm-pull.js';
import { vmRegisterSpec } from './vm-register.js';
import { vmRemoveSpec } from './vm-remove.js';

/** `pilot podman pull|load|register|remove` (flake-ctl podman) */
export function podmanCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'podman',
    describe: 'container flakes, launched by podman-pilot',
    builder: (y) =>
      withExamples(y, [
        ['$0 podman pull --uri docker.io/amazon/aws-cli', 'pull an image (flake-ctl podman pull)'],
        ['$0 podman register --container amazon/aws-cli --app /usr/bin/aws --target /', 'register an app'],
      ])
        .command(bind(podmanPullSpec))
        .command(bind(podmanLoadSpec))
        .command(bind(podmanRegisterSpec))
        .command(bind(podmanRemoveSpec))
        .demandCommand(1, 'pilot podman: a subcommand is required'),
    handler: () => {},
  };
}

/** `pilot vm pull|register|remove` (flake-ctl firecracker) */
export function vmCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'vm',
    describe: 'micro-VM flakes, launched by vm-pilot (qemu -M microvm, or firecracker)',
    builder: (y) =>
      withExamples(y, [
        [
          '$0 vm pull --name leap --kernel vmlinux --rootfs rootfs.ext2',
          'a micro-VM image (flake-ctl firecracker pull)',
        ],
        ['$0 vm register --vm leap --app /usr/bin/mybash --target /bin/bash', 'register an app'],
      ])
        .command(bind(vmPullSpec))
        .command(bind(vmRegisterSpec))
        .command(bind(vmRemoveSpec))
        .demandCommand(1, 'pilot vm: a subcommand is required'),
    handler: () => {},
  };
}

/** `pilot bwrap register|remove` */
export function bwrapCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'bwrap',
    describe: 'bubblewrap flakes, launched by bwrap-pilot (unprivileged, over an unpacked root filesystem)',
    builder: (y) =>
      withExamples(y, [
        [
          '$0 bwrap register --rootfs ./rootfs --name alpine --app /usr/bin/apk-shell --target /bin/sh',
          'register an app over a root filesystem',
        ],
      ])
        .command(bind(bwrapRegisterSpec))
        .command(bind(bwrapRemoveSpec))
        .demandCommand(1, 'pilot bwrap: a subcommand is required'),
    handler: () => {},
  };
}
