import { InputError, InterruptedError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import type { VirtualMachine } from '@azure/arm-compute';
import { hasTags, mantleTags, type AzureArm } from './arm-clients.js';

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
  /** ARM id of the subnet the VM's NIC goes into (Compute makes the NIC and a public IP) */
  subnetId?: string;
  /** ARM id of an existing NIC instead (createAzureNic): its addresses are the caller's */
  networkInterfaceId?: string;
  /** false: return once ARM accepted the create, without waiting (waitAzureVmRunning waits) */
  wait?: boolean;
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
    networkProfile: opts.networkInterfaceId
      ? { networkInterfaces: [{ id: opts.networkInterfaceId, primary: true, deleteOption: 'Detach' }] }
      : {
          networkApiVersion: '2020-11-01',
          networkInterfaceConfigurations: [
            {
              name: `${opts.name}-nic`,
              primary: true,
              deleteOption: 'Delete',
              ipConfigurations: [
                {
                  name: 'ipconfig',
                  subnet: { id: opts.subnetId ?? '' },
                  publicIPAddressConfiguration: { name: `${opts.name}-ip`, deleteOption: 'Delete' },
                },
              ],
            },
          ],
        },
    diagnosticsProfile: { bootDiagnostics: { enabled: true } },
  };
  opts.logger?.info(`creating VM ${opts.name} in ${opts.resourceGroup} from ${opts.imageId}`);
  const input = {
    resourceGroup: opts.resourceGroup,
    name: opts.name,
    vm: { ...params, osProfile: { ...params.osProfile, customData: '<ignition>' } },
  };
  const dry = { ...params, name: opts.name, provisioningState: 'Succeeded' };
  const vm = await arm.call(
    'virtualMachines.createOrUpdate',
    input,
    async (c) => {
      if (opts.wait !== false)
        return c.virtualMachines.beginCreateOrUpdateAndWait(opts.resourceGroup, opts.name, params, arm.poll);
      // the poller's first request is the PUT itself: ARM accepted (or refused) the VM
      const poller = await c.virtualMachines.beginCreateOrUpdate(
        opts.resourceGroup,
        opts.name,
        params,
        arm.poll,
      );
      return (
        poller.getOperationState().result ?? { ...params, name: opts.name, provisioningState: 'Creating' }
      );
    },
    dry,
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

/** The VMs of a resource group whose tags include `tags`. */
export async function listAzureVms(
  arm: AzureArm,
  resourceGroup: string,
  tags: Record<string, string> = {},
): Promise<AzureVmInfo[]> {
  const all = await arm.call(
    'virtualMachines.list',
    { resourceGroup },
    async (c) => {
      const out: VirtualMachine[] = [];
      for await (const vm of c.virtualMachines.list(resourceGroup)) out.push(vm);
      return out;
    },
    [],
  );
  return all.map(vmInfo).filter((v) => hasTags(v.tags, tags));
}

/**
 * Wait until a VM is provisioned and running (polling its instance view every `pollMs`); a VM
 * whose provisioning failed, or that vanished, is an error naming it.
 */
export async function waitAzureVmRunning(
  arm: AzureArm,
  resourceGroup: string,
  name: string,
  opts: { pollMs?: number; signal?: AbortSignal | undefined } = {},
): Promise<AzureVmInfo> {
  for (;;) {
    if (opts.signal?.aborted) throw new InterruptedError('abort signal');
    const vm = await getAzureVm(arm, resourceGroup, name);
    if (!vm)
      throw new OperationError({
        code: 'AZURE_VM_GONE',
        message: `VM ${name} in ${resourceGroup} vanished while kola waited for it to run`,
        hint: 'something else deleted it; look at the resource group activity log',
      });
    if (vm.provisioningState === 'Failed')
      throw new OperationError({
        code: 'AZURE_VM_FAILED',
        message: `VM ${name} in ${resourceGroup} failed to provision`,
        hint: 'its boot diagnostics (serial log) show why; the image must be a Linux image that reads customData',
      });
    if (vm.provisioningState === 'Succeeded' && vm.powerState === 'running') return vm;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 2000));
  }
}

/** The VM sizes offered in a location (a location ARM does not know is an error from ARM). */
export async function listAzureVmSizes(arm: AzureArm, location: string): Promise<string[]> {
  return arm.call(
    'virtualMachineSizes.list',
    { location },
    async (c) => {
      const out: string[] = [];
      for await (const s of c.virtualMachineSizes.list(location)) if (s.name) out.push(s.name);
      return out;
    },
    [],
  );
}

/** Whether a managed image or gallery image version exists, by its ARM id (exit 2 for a malformed id). */
export async function azureImageExists(arm: AzureArm, imageId: string): Promise<boolean> {
  const m =
    /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/(?:images\/([^/]+)|galleries\/([^/]+)\/images\/([^/]+)\/versions\/([^/]+))$/i.exec(
      imageId,
    );
  if (!m)
    throw new InputError({
      code: 'AZURE_BAD_IMAGE_ID',
      message: `${JSON.stringify(imageId)} is not the ARM id of a managed image or gallery image version`,
      hint: 'pass /subscriptions/S/resourceGroups/G/providers/Microsoft.Compute/images/NAME (ore azure create-image prints it) or .../galleries/G/images/I/versions/V',
      details: { value: imageId },
    });
  const [, group, image, gallery, def, version] = m as unknown as string[];
  const found = image
    ? await arm.find('images.get', { resourceGroup: group, name: image }, (c) => c.images.get(group!, image))
    : await arm.find('galleryImageVersions.get', { resourceGroup: group, gallery, def, version }, (c) =>
        c.galleryImageVersions.get(group!, gallery!, def!, version!),
      );
  return found !== undefined;
}
