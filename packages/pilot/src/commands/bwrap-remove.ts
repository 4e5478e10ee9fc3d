import { removeCommand } from './remove-command.js';

/** `pilot bwrap remove --name NAME | --app PATH` (only root filesystems pilot unpacked are deleted) */
export const bwrapRemoveSpec = removeCommand('bwrap', 'name', 'root filesystem');
