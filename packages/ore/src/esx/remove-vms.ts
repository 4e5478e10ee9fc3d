import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { listVms, vmNameMatcher, type EsxVm } from './inventory.js';
import { EsxFault, toRef, type EsxClient } from './soap-client.js';

// remove-vms: the VMs named (each must exist: a typo is exit 2 before anything is removed) and
// those matching a glob, each powered off when on, then destroyed (its files go with it).

export interface RemoveVmsOptions {
  names?: string[];
  pattern?: string;
  logger?: Logger;
}

export interface RemoveVmsResult {
  removed: EsxVm[];
}

/** The VMs that match `--name`s and/or a `--pattern`; a name that matches none is an InputError. */
export function selectVms(vms: EsxVm[], o: { names?: string[]; pattern?: string }): EsxVm[] {
  const missing = (o.names ?? []).filter((n) => !vms.some((v) => v.name === n));
  if (missing.length > 0)
    throw new InputError({
      code: 'ESX_VM_NOT_FOUND',
      message: `--name ${missing.map((m) => JSON.stringify(m)).join(', ')}: no such VM`,
      hint: 'ore esx list-vms shows the VMs there are',
      details: { missing },
    });
  const matches = o.pattern !== undefined ? vmNameMatcher(o.pattern) : () => false;
  return vms.filter((v) => (o.names ?? []).includes(v.name) || matches(v.name));
}

/** Power off and destroy the selected VMs (a dry run records the calls and removes nothing). */
export async function removeVms(c: EsxClient, o: RemoveVmsOptions): Promise<RemoveVmsResult> {
  const chosen = selectVms(await listVms(c), o);
  const removed: EsxVm[] = [];
  for (const vm of chosen) {
    const self = { type: 'VirtualMachine', value: vm.id };
    const dryTask = { '@_type': 'Task', '#text': 'dry-run' };
    if (vm.powerState === 'poweredOn') {
      const what = `powering off ${vm.name}`;
      o.logger?.info(what);
      try {
        await c.waitTask(
          toRef(await c.call('PowerOffVM_Task', self, {}, { what, write: true, dryRunAnswer: dryTask })),
          what,
        );
      } catch (err) {
        // Switched off meanwhile: what we wanted.
        if (!(err instanceof EsxFault && err.faultType === 'InvalidPowerState')) throw err;
      }
    }
    const what = `removing ${vm.name}`;
    o.logger?.info(what);
    await c.waitTask(
      toRef(await c.call('Destroy_Task', self, {}, { what, write: true, dryRunAnswer: dryTask })),
      what,
    );
    removed.push(vm);
  }
  return { removed };
}
