import type { Logger } from '@mantle/core/log';
import { hasTags, mantleTags, type AzureArm } from './arm-clients.js';

// Microsoft.Network resources a VM of kola's azure platform needs, through @azure/arm-network:
// a virtual network with one subnet (a run's machines share it: their private network), and per
// VM a public IP address and a NIC in the subnet. Creates and deletes are long-running
// operations, polled as the SDK does; deletes go in the order ARM demands (the VM, then its NIC,
// then the public IP the NIC used, then the vnet once no NIC is in its subnet).

/** What a network resource create takes besides its own fields. */
interface NetCreate {
  resourceGroup: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  logger?: Logger;
}

/** A virtual network as ore made it. */
export interface AzureVnetInfo {
  id: string;
  name: string;
  /** the ARM id of its (first or named) subnet */
  subnetId: string;
}

/** Create a virtual network with one subnet and wait until it is provisioned. */
export async function createAzureVnet(
  arm: AzureArm,
  o: NetCreate & { addressPrefix?: string; subnet?: string; subnetPrefix?: string },
): Promise<AzureVnetInfo> {
  const subnet = o.subnet ?? 'default';
  const params = {
    location: o.location,
    tags: mantleTags(o.tags),
    addressSpace: { addressPrefixes: [o.addressPrefix ?? '10.0.0.0/16'] },
    subnets: [{ name: subnet, addressPrefix: o.subnetPrefix ?? '10.0.0.0/24' }],
  };
  o.logger?.info(`creating virtual network ${o.name} in ${o.resourceGroup}`);
  const v = await arm.net.call(
    'virtualNetworks.createOrUpdate',
    { resourceGroup: o.resourceGroup, name: o.name, vnet: params },
    (c) => c.virtualNetworks.beginCreateOrUpdateAndWait(o.resourceGroup, o.name, params, arm.poll),
    { ...params, id: netId(arm, o.resourceGroup, `virtualNetworks/${o.name}`), name: o.name },
  );
  const id = v.id ?? netId(arm, o.resourceGroup, `virtualNetworks/${o.name}`);
  const sub = v.subnets?.find((s) => s.name === subnet)?.id ?? `${id}/subnets/${subnet}`;
  return { id, name: o.name, subnetId: sub };
}

/** The ARM id of an existing subnet (`VNET/SUBNET`, SUBNET default `default`), undefined if there is none. */
export async function getAzureSubnet(
  arm: AzureArm,
  resourceGroup: string,
  vnetSubnet: string,
): Promise<string | undefined> {
  const [vnet = '', subnet = 'default'] = vnetSubnet.split('/');
  const s = await arm.net.find('subnets.get', { resourceGroup, vnet, subnet }, (c) =>
    c.subnets.get(resourceGroup, vnet, subnet),
  );
  return s?.id;
}

/** Create a static public IP address (Standard SKU) and wait for it. */
export async function createAzurePublicIp(arm: AzureArm, o: NetCreate): Promise<{ id: string }> {
  const params = {
    location: o.location,
    tags: mantleTags(o.tags),
    sku: { name: 'Standard' },
    publicIPAllocationMethod: 'Static',
  };
  const ip = await arm.net.call(
    'publicIPAddresses.createOrUpdate',
    { resourceGroup: o.resourceGroup, name: o.name, ip: params },
    (c) => c.publicIPAddresses.beginCreateOrUpdateAndWait(o.resourceGroup, o.name, params, arm.poll),
    { id: netId(arm, o.resourceGroup, `publicIPAddresses/${o.name}`) },
  );
  return { id: ip.id ?? '' };
}

/** Create a NIC in a subnet (with a public IP if given) and wait for it. */
export async function createAzureNic(
  arm: AzureArm,
  o: NetCreate & { subnetId: string; publicIpId?: string | undefined },
): Promise<{ id: string }> {
  const params = {
    location: o.location,
    tags: mantleTags(o.tags),
    ipConfigurations: [
      {
        name: 'ipconfig',
        primary: true,
        subnet: { id: o.subnetId },
        privateIPAllocationMethod: 'Dynamic',
        ...(o.publicIpId ? { publicIPAddress: { id: o.publicIpId } } : {}),
      },
    ],
  };
  const nic = await arm.net.call(
    'networkInterfaces.createOrUpdate',
    { resourceGroup: o.resourceGroup, name: o.name, nic: params },
    (c) => c.networkInterfaces.beginCreateOrUpdateAndWait(o.resourceGroup, o.name, params, arm.poll),
    { id: netId(arm, o.resourceGroup, `networkInterfaces/${o.name}`) },
  );
  return { id: nic.id ?? '' };
}

/** The private and public address of a NIC (its primary IP configuration); undefined when there is no NIC. */
export async function azureNicAddresses(
  arm: AzureArm,
  resourceGroup: string,
  nic: string,
): Promise<{ privateIp: string | undefined; publicIp: string | undefined } | undefined> {
  const n = await arm.net.find('networkInterfaces.get', { resourceGroup, nic }, (c) =>
    c.networkInterfaces.get(resourceGroup, nic),
  );
  if (!n) return undefined;
  const cfg = n.ipConfigurations?.find((c) => c.primary) ?? n.ipConfigurations?.[0];
  const ipId = cfg?.publicIPAddress?.id;
  let publicIp: string | undefined;
  if (ipId) {
    const name = ipId.split('/').at(-1)!;
    const ip = await arm.net.find('publicIPAddresses.get', { resourceGroup, name }, (c) =>
      c.publicIPAddresses.get(resourceGroup, name),
    );
    publicIp = ip?.ipAddress;
  }
  return { privateIp: cfg?.privateIPAddress, publicIp };
}

/** The Microsoft.Network kinds ore deletes, in the order deletes must go. */
export type AzureNetKind = 'networkInterfaces' | 'publicIPAddresses' | 'virtualNetworks';

/** Delete a network resource and wait until it is gone; false when there was none. */
export async function deleteAzureNetResource(
  arm: AzureArm,
  kind: AzureNetKind,
  resourceGroup: string,
  name: string,
  opts: { logger?: Logger } = {},
): Promise<boolean> {
  const input = { resourceGroup, name };
  const ops: Record<
    AzureNetKind,
    { get: (c: NetClient) => Promise<unknown>; del: (c: NetClient) => Promise<unknown> }
  > = {
    networkInterfaces: {
      get: (c: NetClient) => c.networkInterfaces.get(resourceGroup, name),
      del: (c: NetClient) => c.networkInterfaces.beginDeleteAndWait(resourceGroup, name, arm.poll),
    },
    publicIPAddresses: {
      get: (c: NetClient) => c.publicIPAddresses.get(resourceGroup, name),
      del: (c: NetClient) => c.publicIPAddresses.beginDeleteAndWait(resourceGroup, name, arm.poll),
    },
    virtualNetworks: {
      get: (c: NetClient) => c.virtualNetworks.get(resourceGroup, name),
      del: (c: NetClient) => c.virtualNetworks.beginDeleteAndWait(resourceGroup, name, arm.poll),
    },
  };
  const op = ops[kind];
  if (!arm.options.dryRun && !(await arm.net.find(`${kind}.get`, input, op.get))) return false;
  opts.logger?.info(`deleting ${kind} ${name} in ${resourceGroup}`);
  await arm.net.call(`${kind}.delete`, input, op.del, undefined);
  return true;
}

/** A network resource as a listing shows it (gc ages it by CreatedAt and sees what uses what). */
export interface AzureNetResource {
  name: string;
  id: string;
  tags: Record<string, string>;
  /** the CreatedAt tag ore writes, undefined when there is none */
  created: string | undefined;
  /** a NIC's public IP addresses and subnets (ARM ids); empty for other kinds */
  publicIpIds: string[];
  subnetIds: string[];
}

/** A resource group's network resources of a kind whose tags include `tags`. */
export async function listAzureNetResources(
  arm: AzureArm,
  kind: AzureNetKind,
  resourceGroup: string,
  tags: Record<string, string> = {},
): Promise<AzureNetResource[]> {
  type Listed = {
    name?: string;
    id?: string;
    tags?: Record<string, string>;
    ipConfigurations?: { publicIPAddress?: { id?: string }; subnet?: { id?: string } }[];
  };
  const all = await arm.net.call(
    `${kind}.list`,
    { resourceGroup },
    async (c) => {
      const out: Listed[] = [];
      const pages =
        kind === 'networkInterfaces'
          ? c.networkInterfaces.list(resourceGroup)
          : kind === 'publicIPAddresses'
            ? c.publicIPAddresses.list(resourceGroup)
            : c.virtualNetworks.list(resourceGroup);
      for await (const r of pages) out.push(r);
      return out;
    },
    [],
  );
  const ids = (xs: (string | undefined)[]): string[] => xs.filter((x): x is string => Boolean(x));
  return all
    .filter((r) => hasTags(r.tags, tags))
    .map((r) => {
      const cfgs = kind === 'networkInterfaces' ? (r.ipConfigurations ?? []) : [];
      return {
        name: r.name ?? '',
        id: r.id ?? '',
        tags: r.tags ?? {},
        created: r.tags?.CreatedAt,
        publicIpIds: ids(cfgs.map((c) => c.publicIPAddress?.id)),
        subnetIds: ids(cfgs.map((c) => c.subnet?.id)),
      };
    });
}

type NetClient = import('@azure/arm-network').NetworkManagementClient;

function netId(arm: Pick<AzureArm, 'subscriptionId'>, resourceGroup: string, path: string): string {
  return `/subscriptions/${arm.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/${path}`;
}
