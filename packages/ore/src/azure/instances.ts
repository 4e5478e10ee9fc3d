import type { Logger } from '@mantle/core/log';
import type { VirtualMachine } from '@azure/arm-compute';
import { mantleTags, type AzureArm } from './arm-clients.js';

// Virtual machines for kola's azure platform: made from a managed image or gallery version with
// the Ignition config as customData, the NIC made by Compute itself in a given subnet
// (networkInterfaceConfigurations; the subnet and any public IP lookup are Microsoft.Network's,
// left to the caller), boot diagnostics on so the serial console can be read.

export interface CreateAzureVmOptions {
  resourceGroup: string;
  name: string;
  location: string;
  /** ARM id of a managed image or a gallery image version */
  imageId: string;
  /** ARM id of the subnet the VM's NIC goes into */
  subnetId: string;
  /** the Ignition config (sent base64 as customData) */
  ignition: string;
  /** VM size (default Standard_D2s_v5) */
  size?: string;
  adminUsername?: string;
  sshPublicKey?: string;
  tags?: Record<string, string>;
  logger?: Logger;
}

/** A VM as ore reports it. */
export interface AzureVmInfo {
  name: string;
  id: string;
  provisioningState: string;
  /** from the instance view: running, stopped, deallocated, ... */
  powerState?: string;
  networkInterfaces: string[];
  tags: Record<string, string>;
}

function vmInfo(vm: VirtualMachine): AzureVmInfo {
  const power = vm.instanceView?.statuses?.find((s) => s.code?.startsWith('PowerState/'))?.code;
  return {
    name: vm.name ?? '',
    id: vm.id ?? '',
    provisioningState: vm.provisioningState ?? 'Unknown',
    ...(power ? { powerState: power.slice('PowerState/'.length) } : {}),
    networkInterfaces: (vm.networkProfile?.networkInterfaces ?? []).map((n) => n.id ?? ''),
    tags: vm.tags ?? {},
  };
}

/** Create a VM and wait until it is provisioned (tagged CreatedBy=mantle, its disk and NIC deleted with it). */
export async function createAzureVm(arm: AzureArm, opts: CreateAzureVmOptions): Promise<AzureVmInfo> {
  const user = opts.adminUsername ?? 'core';
  const params: VirtualMachine = {
    location: opts.location,
    tags: mantleTags(opts.tags),
    hardwareProfile: { vmSize: opts.size ?? 'Standard_D2s_v5' },
    storageProfile: {
      imageReference: { id: opts.imageId },
      osDisk: { createOption: 'FromImage', deleteOption: 'Delete' },
    },
    osProfile: {
      computerName: opts.name,
      adminUsername: user,
      customData: Buffer.from(opts.ignition).toString('base64'),
      linuxConfiguration: {
        disablePasswordAuthentication: true,
        ...(opts.sshPublicKey
          ? {
              ssh: {
                publicKeys: [{ path: `/home/${user}/.ssh/authorized_keys`, keyData: opts.sshPublicKey }],
              },
            }
          : {}),
      },
    },
    networkProfile: {
      networkApiVersion: '2020-11-01',
      networkInterfaceConfigurations: [
        {
          name: `${opts.name}-nic`,
          primary: true,
          deleteOption: 'Delete',
          ipConfigurations: [
            {
              name: 'ipconfig',
              subnet: { id: opts.subnetId },
              publicIPAddressConfiguration: { name: `${opts.name}-ip`, deleteOption: 'Delete' },
            },
          ],
        },
      ],
    },
    diagnosticsProfile: { bootDiagnostics: { enabled: true } },
  };
  opts.logger?.info(`creating VM ${opts.name} in ${opts.resourceGroup} from ${opts.imageId}`);
  const vm = await arm.call(
    'virtualMachines.createOrUpdate',
    {
      resourceGroup: opts.resourceGroup,
      name: opts.name,
      vm: { ...params, osProfile: { ...params.osProfile, customData: '<ignition>' } },
    },
    (c) => c.virtualMachines.beginCreateOrUpdateAndWait(opts.resourceGroup, opts.name, params, arm.poll),
    { ...params, name: opts.name, provisioningState: 'Succeeded' },
  );
  return vmInfo(vm);
}

/** The VM with its instance view (power state), if it exists. */
export async function getAzureVm(
  arm: AzureArm,
  resourceGroup: string,
  name: string,
): Promise<AzureVmInfo | undefined> {
  const vm = await arm.find('virtualMachines.get', { resourceGroup, name }, (c) =>
    c.virtualMachines.get(resourceGroup, name, { expand: 'instanceView' }),
  );
  return vm ? vmInfo(vm) : undefined;
}

/** The VM's serial console log (boot diagnostics), '' when there is none yet. */
export async function azureVmConsole(arm: AzureArm, resourceGroup: string, name: string): Promise<string> {
  const r = await arm.call(
    'virtualMachines.retrieveBootDiagnosticsData',
    { resourceGroup, name },
    (c) =>
      c.virtualMachines.retrieveBootDiagnosticsData(resourceGroup, name, {
        sasUriExpirationTimeInMinutes: 10,
      }),
    {},
  );
  if (!r.serialConsoleLogBlobUri) return '';
  // a SAS URL of the diagnostics blob: a plain GET, no ARM token
  const res = await arm.getText(r.serialConsoleLogBlobUri);
  if (res.status === 404) return '';
  if (res.status !== 200) throw new Error(`reading the serial console of ${name}: HTTP ${res.status}`);
  return res.body;
}

/** Delete a VM (its OS disk, NIC and public IP go with it); false when there was none. */
export async function deleteAzureVm(
  arm: AzureArm,
  resourceGroup: string,
  name: string,
  opts: { logger?: Logger } = {},
): Promise<boolean> {
  if (!arm.options.dryRun && !(await getAzureVm(arm, resourceGroup, name))) return false;
  opts.logger?.info(`deleting VM ${name} in ${resourceGroup}`);
  await arm.call(
    'virtualMachines.delete',
    { resourceGroup, name },
    (c) => c.virtualMachines.beginDeleteAndWait(resourceGroup, name, arm.poll),
    undefined,
  );
  return true;
}
