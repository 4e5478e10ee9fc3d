import { removeCommand } from './remove-command.js';

/** `pilot bwrap remove --name NAME | --app PATH` (only root filesystems pilot unpacked are deleted) */
export const bwrapRemoveSpec = removeCommand('bwrap', 'name', 'root filesystem', [
  ['$0 bwrap remove --app /usr/bin/apk-shell', 'unregister one app'],
  ['$0 bwrap remove --name alpine', 'every app of the alpine root filesystem, then the root filesystem'],
]);
