import { removeCommand } from './remove-command.js';

/** `pilot podman remove --container NAME | --app PATH` */
export const podmanRemoveSpec = removeCommand('podman', 'container', 'container image', [
  ['$0 podman remove --app /usr/bin/aws', 'unregister one app'],
  ['$0 podman remove --container amazon/aws-cli', 'every app of the aws-cli container, then its image'],
]);
