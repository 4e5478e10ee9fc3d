import type { CommandModule } from 'yargs';
import { withExamples, type CommandBinder, type GlobalArgs } from '@mantle/core/cli';
import { esxCreateBaseCommand, esxListVmsCommand, esxRemoveVmsCommand } from './esx-vms.js';

/** The `ore esx` command group. */
export function esxCommands(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'esx',
    describe: 'VMware ESX/vSphere: import an OVA as a base VM, list and remove VMs',
    builder: (y) =>
      withExamples(y, [['$0 esx list-vms', 'the VMs on the host of the default profile']])
        .command(bind(esxCreateBaseCommand))
        .command(bind(esxListVmsCommand))
        .command(bind(esxRemoveVmsCommand))
        .demandCommand(1, 'ore esx: a subcommand is required'),
    handler: () => {},
  };
}
