import { removeCommand } from './remove-command.js';

/** `pilot podman remove --container NAME | --app PATH` */
export const podmanRemoveSpec = removeCommand('podman', 'container', 'container image');
