import { removeCommand } from './remove-command.js';

/** `pilot vm remove --vm NAME | --app PATH` */
export const vmRemoveSpec = removeCommand('vm', 'vm', 'VM image');
