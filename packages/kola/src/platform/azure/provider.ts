import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { loadProfile } from '@mantle/core/profiles';
import type { AzureArm } from '@mantle/ore';
import type {
  CleanupResult,
  CloudCleaner,
  CloudContext,
  CloudProvider,
  FlightSetup,
  InstanceSpec,
  Ore,
  RunningInstance,
} from '../cloud/provider.js';
import { requireImage } from '../cloud/provider.js';
import type { RunHeader, RunJournal } from '../cloud/run-journal.js';

// kola's azure platform: machines are ARM virtual machines made through ore's Azure layer, in
// one resource group, the Ignition config as the VM's customData (what Flatcar's Azure Ignition
// provider reads). Per VM kola makes a public IP and a NIC (Microsoft.Network), per run a virtual
// network whose subnet is the machines' private network (or uses --azure-vnet's). Everything is
// tagged with the run (KolaRunId), so `kola cleanup` and `ore azure gc` find it by tag as well as
// by the ids in the state file. ore (and the Azure SDK) is imported only when the platform is used.

/** `--azure-*` flags. */
export interface AzurePlatformOptions {
  /** --azure-image: ARM id of a managed image or gallery image version */
  image?: string | undefined;
  /** --azure-size (mantle's default Standard_D2s_v3) */
  size: string;
  /** --azure-location (default westus) */
  location: string;
  /** --azure-resource-group: the (existing) group the run's resources go into */
  resourceGroup?: string | undefined;
  /** --azure-profile: a subscription of ~/.azure/azureProfile.json by name or id */
  profile?: string | undefined;
  /** --azure-config-file (mantle's --azure-auth): an SDK auth file */
  configFile?: string | undefined;
  /** --azure-vnet VNET[/SUBNET]: an existing network instead of one made for the run */
  vnet?: string | undefined;
}

/** What the run's state file records of where its resources are (so cleanup needs no flags). */
interface AzureScope {
  subscription: string;
  resourceGroup: string;
  location: string;
  profile: string;
  key: string;
}

async function openArm(
  ore: Ore,
  o: Pick<AzurePlatformOptions, 'profile' | 'configFile'>,
  ctx: CloudContext,
): Promise<{ arm: AzureArm; keyFile: string }> {
  const creds = await loadProfile('azure', {
    ...(o.profile ? { profile: o.profile } : {}),
    ...(o.configFile ? { configFile: o.configFile } : {}),
    env: ctx.env,
    cwd: ctx.cwd,
  });
  const arm = ore.azureArm({
    subscriptionId: creds.subscriptionId,
    credentials: creds,
    profile: `${creds.source}${creds.profile !== 'default' ? ` (${creds.profile})` : ''}`,
    logger: ctx.logger,
  });
  return { arm, keyFile: creds.sourcePath ?? '' };
}

/** The azure platform's provider for the generic cloud flight. */
export async function azureProvider(o: AzurePlatformOptions, ctx: CloudContext): Promise<CloudProvider> {
  const image = requireImage(o.image, {
    code: 'AZURE_NO_IMAGE',
    platform: 'azure',
    flag: '--azure-image',
    what: 'the ARM id of the managed image or gallery image version to boot',
    hint: 'make one with `ore azure upload-blob` and `ore azure create-image` (it prints the id)',
  });
  if (!o.resourceGroup)
    throw new InputError({
      code: 'AZURE_NO_RESOURCE_GROUP',
      message: '-p azure needs --azure-resource-group: the resource group the machines are made in',
      hint: 'create one (az group create -n kola -l westus) and pass it; every resource kola makes there is tagged with the run',
      details: { flag: '--azure-resource-group' },
    });
  const ore = await import('@mantle/ore');
  ore.checkResourceGroupName(o.resourceGroup, '--azure-resource-group');
  if (!/^[a-z][a-z0-9]{2,40}$/.test(o.location))
    throw new InputError({
      code: 'AZURE_BAD_LOCATION',
      message: `--azure-location ${JSON.stringify(o.location)} is not an Azure location name`,
      hint: 'use a name like westus or northeurope (az account list-locations lists them)',
      details: { flag: '--azure-location', value: o.location },
    });
  const { arm, keyFile } = await openArm(ore, o, ctx);
  return new AzureProvider(ore, arm, { ...o, image, resourceGroup: o.resourceGroup }, keyFile, ctx.logger);
}

class AzureProvider implements CloudProvider {
  readonly platform = 'azure';
  readonly scope: Record<string, string>;
  private subnetId: string | undefined;
  private vnet: string | undefined;
  private journal: RunJournal | undefined;
  private readonly rg: string;

  constructor(
    private readonly ore: Ore,
    private readonly arm: AzureArm,
    private readonly o: AzurePlatformOptions & { image: string; resourceGroup: string },
    keyFile: string,
    private readonly log: Logger,
  ) {
    this.rg = o.resourceGroup;
    const scope: AzureScope = {
      subscription: arm.subscriptionId,
      resourceGroup: o.resourceGroup,
      location: o.location,
      profile: o.profile ?? 'default',
      key: keyFile,
    };
    this.scope = { ...scope };
  }

  async prepare(): Promise<void> {
    const { ore, arm, o } = this;
    let sizes: string[];
    try {
      sizes = await ore.listAzureVmSizes(arm, o.location);
    } catch (err) {
      const armCode = (err as { details?: { armCode?: string } }).details?.armCode ?? '';
      if (!/NoRegisteredProviderFound|LocationNotAvailable|InvalidLocation|LocationNotFound/i.test(armCode))
        throw err;
      throw new InputError({
        code: 'AZURE_UNKNOWN_LOCATION',
        message: `--azure-location ${o.location}: Azure offers no virtual machines there (${(err as Error).message})`,
        hint: 'pick a location of the subscription (az account list-locations -o table)',
        cause: err,
        details: { flag: '--azure-location', value: o.location },
      });
    }
    if (!sizes.includes(o.size))
      throw new InputError({
        code: 'AZURE_UNKNOWN_SIZE',
        message: `--azure-size ${o.size} is not offered in ${o.location}`,
        hint: `use one of: ${sizes.slice(0, 12).join(', ')}${sizes.length > 12 ? ', ...' : ''} (az vm list-sizes -l ${o.location})`,
        details: { flag: '--azure-size', value: o.size, location: o.location },
      });
    if (!(await ore.azureImageExists(arm, o.image).catch(flagged('--azure-image'))))
      throw new InputError({
        code: 'AZURE_IMAGE_NOT_FOUND',
        message: `--azure-image ${o.image}: no such image`,
        hint: 'list the images with `ore azure list-images --resource-group G`, or pass a gallery image version id',
        details: { flag: '--azure-image', value: o.image },
      });
    if (o.vnet) {
      this.subnetId = await ore.getAzureSubnet(arm, this.rg, o.vnet);
      if (!this.subnetId)
        throw new InputError({
          code: 'AZURE_NO_SUBNET',
          message: `--azure-vnet ${o.vnet}: no such virtual network/subnet in ${this.rg}`,
          hint: 'pass VNET/SUBNET of an existing network of the resource group, or leave --azure-vnet out and kola makes one for the run',
          details: { flag: '--azure-vnet', value: o.vnet },
        });
    }
  }

  async setupFlight(s: FlightSetup): Promise<void> {
    this.journal = s.journal;
    if (this.subnetId) return;
    const name = `${s.runId}-vnet`;
    const v = await s.journal.track('network', name, async () => {
      const made = await this.ore.createAzureVnet(this.arm, {
        resourceGroup: this.rg,
        name,
        location: this.o.location,
        tags: s.tags,
        logger: this.log,
      });
      return made.id;
    });
    this.vnet = name;
    this.subnetId = `${v}/subnets/default`;
  }

  async createInstance(spec: InstanceSpec): Promise<string> {
    const { ore, arm, o, rg } = this;
    const j = spec.journal;
    const common = { resourceGroup: rg, location: o.location, tags: spec.tags };
    const ip = await j.track('public-ip', `${spec.name}-ip`, async () => {
      return (await ore.createAzurePublicIp(arm, { ...common, name: `${spec.name}-ip` })).id;
    });
    const nic = await j.track('network-interface', `${spec.name}-nic`, async () => {
      return (
        await ore.createAzureNic(arm, {
          ...common,
          name: `${spec.name}-nic`,
          subnetId: this.subnetId ?? '',
          publicIpId: ip,
        })
      ).id;
    });
    try {
      // ARM accepted the VM: its provisioning (the boot) is waited for in waitRunning
      await ore.createAzureVm(arm, {
        ...common,
        name: spec.name,
        imageId: o.image,
        size: o.size,
        networkInterfaceId: nic,
        ignition: spec.userData,
        wait: false,
      });
    } catch (err) {
      // no VM, so the machine's teardown has nothing to delete: its NIC and IP go now
      await this.deleteNetworking(spec.name).catch((e: unknown) =>
        this.log.warn(`deleting the NIC and IP of ${spec.name} failed: ${String(e)}`),
      );
      throw err;
    }
    return spec.name;
  }

  async waitRunning(id: string, signal: AbortSignal | undefined): Promise<RunningInstance> {
    const vm = await this.ore.waitAzureVmRunning(this.arm, this.rg, id, { signal });
    const addr = await this.ore.azureNicAddresses(this.arm, this.rg, `${id}-nic`);
    return { publicIp: addr?.publicIp, privateIp: addr?.privateIp, tags: vm.tags };
  }

  consoleOutput(id: string): Promise<string> {
    return this.ore.azureVmConsole(this.arm, this.rg, id);
  }

  async deleteInstance(id: string): Promise<void> {
    // the VM (and its OS disk) first: its NIC, then the NIC's public IP, are in use until then
    await this.ore.deleteAzureVm(this.arm, this.rg, id);
    await this.deleteNetworking(id);
  }

  private async deleteNetworking(id: string): Promise<void> {
    for (const [kind, journalKind, name] of [
      ['networkInterfaces', 'network-interface', `${id}-nic`],
      ['publicIPAddresses', 'public-ip', `${id}-ip`],
    ] as const) {
      await this.ore.deleteAzureNetResource(this.arm, kind, this.rg, name);
      await this.journal?.deleted(journalKind, name, name);
    }
  }

  async teardownFlight(t: { journal: RunJournal }): Promise<void> {
    if (!this.vnet) return;
    await this.ore.deleteAzureNetResource(this.arm, 'virtualNetworks', this.rg, this.vnet);
    await t.journal.deleted('network', this.vnet, this.vnet);
  }

  close(): void {}
}

/** An InputError of ore (a malformed id) re-told as the flag's. */
function flagged(flag: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof InputError)
      throw new InputError({
        code: err.code,
        message: `${flag}: ${err.message}`,
        ...(err.hint ? { hint: err.hint } : {}),
        details: { flag },
      });
    throw err;
  };
}

/** `kola cleanup` for an azure run: subscription, group and credentials from its state file. */
export async function azureCleaner(
  header: RunHeader,
  o: Pick<AzurePlatformOptions, 'profile' | 'configFile'>,
  ctx: CloudContext,
): Promise<CloudCleaner> {
  const ore = await import('@mantle/ore');
  const scope = header.scope as Partial<AzureScope>;
  const key = scope.key && isAbsolute(scope.key) && existsSync(scope.key) ? scope.key : undefined;
  const { arm } = await openArm(
    ore,
    {
      profile: o.profile ?? (scope.profile !== 'default' ? scope.profile : undefined),
      configFile: o.configFile ?? key,
    },
    ctx,
  );
  const rg = scope.resourceGroup ?? '';
  const tag = { KolaRunId: header.runId };
  return {
    close: () => undefined,
    cleanup: async ({ resources, logger }): Promise<CleanupResult> => {
      const open = (kind: string): string[] =>
        resources.filter((r) => r.kind === kind && r.state !== 'deleted').map((r) => r.name);
      const deleted: { kind: string; id: string }[] = [];
      const both = (a: string[], b: string[]): string[] => [...new Set([...a, ...b])];
      // By the names it wrote (an intent without an answer included) and by the run's tag; in
      // the order ARM lets them go: VMs, NICs, public IPs, the vnet.
      const vms = both(
        open('instance'),
        (await ore.listAzureVms(arm, rg, tag)).map((v) => v.name),
      );
      for (const name of vms)
        if (await ore.deleteAzureVm(arm, rg, name, { logger })) deleted.push({ kind: 'instance', id: name });
      for (const [kind, journalKind] of [
        ['networkInterfaces', 'network-interface'],
        ['publicIPAddresses', 'public-ip'],
        ['virtualNetworks', 'network'],
      ] as const) {
        const names = both(
          open(journalKind),
          (await ore.listAzureNetResources(arm, kind, rg, tag)).map((r) => r.name),
        );
        for (const name of names)
          if (await ore.deleteAzureNetResource(arm, kind, rg, name, { logger }))
            deleted.push({ kind: journalKind, id: name });
      }
      return { deleted };
    },
  };
}
