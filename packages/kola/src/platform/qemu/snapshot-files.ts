import type { QemuMachineSpec } from './qemu-args.js';

/** What a saved machine snapshot consists of (made by SnapshotStore, restored by QemuMachine). */
export interface MachineSnapshot {
  key: string;
  dir: string;
  /** the device state written by `migrate` */
  statePath: string;
  /** the template's RAM (memory-backend-file) */
  ramPath: string;
  /** the frozen disk overlay (undefined for diskless images) */
  diskPath: string | undefined;
  /** the template's console up to the save */
  consolePath: string;
  ignitionPath: string;
  /** the template's machine spec: a copy must have the same devices */
  spec: QemuMachineSpec;
  readiness: string | undefined;
  /** the template's guest runs kola's identity agent: copies get their identity through it */
  identityChannel: boolean;
  /** the SSH host key (base64 blob) the template presented, which its copies have at first */
  hostKey: string | undefined;
  /** milliseconds the template took to boot and be saved */
  makeMs: number;
}
