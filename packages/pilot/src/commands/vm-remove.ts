import { removeCommand } from './remove-command.js';

/** `pilot vm remove --vm NAME | --app PATH` */
export const vmRemoveSpec = removeCommand('vm', 'vm', 'VM image', [
  ['$0 vm remove --app /usr/bin/mybash', 'unregister one app'],
  ['$0 vm remove --vm leap', 'every app of the leap image, then the image'],
]);
