import { InputError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { loadProfile } from '@mantle/core/profiles';
import type { AwsClients } from '@mantle/ore';
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

// kola's aws platform: machines are EC2 instances made through ore's EC2 layer. ore (and the
// AWS SDK with it) is imported when the platform is used, never for `kola --help` or qemu runs.

/** `--aws-*` flags. */
export interface AwsPlatformOptions {
  /** --aws-ami */
  ami?: string | undefined;
  /** --aws-type (mantle's default m4.large) */
  type: string;
  /** --aws-region (default AWS_REGION, else the profile's region, else us-west-2) */
  region?: string | undefined;
  /** --aws-profile / --aws-config-file (--aws-credentials-file) */
  profile?: string | undefined;
  configFile?: string | undefined;
  /** --aws-sg: an existing security group (name or sg-id) instead of one made for the run */
  securityGroup?: string | undefined;
  /** --aws-subnet: launch into this subnet (else the default VPC's) */
  subnet?: string | undefined;
  /** --aws-iam-profile: an instance profile to give the machines */
  iamProfile?: string | undefined;
  /** --aws-ssh-cidr: where SSH may come from in the run's security group (default 0.0.0.0/0) */
  sshCidr?: string | undefined;
}

async function openClients(
  ore: Ore,
  o: Pick<AwsPlatformOptions, 'region' | 'profile' | 'configFile'>,
  ctx: CloudContext,
): Promise<AwsClients> {
  const creds = await loadProfile('aws', {
    ...(o.profile ? { profile: o.profile } : {}),
    ...(o.configFile ? { configFile: o.configFile } : {}),
    env: ctx.env,
    cwd: ctx.cwd,
  });
  let region = o.region ?? ctx.env.AWS_REGION ?? creds.region ?? 'us-west-2';
  try {
    region = ore.checkRegionName(region);
  } catch {
    throw new InputError({
      code: 'AWS_BAD_REGION',
      message: `--aws-region ${JSON.stringify(region)} is not an AWS region name`,
      hint: 'use a region like us-east-1 (ore aws list-regions lists them)',
      details: { flag: '--aws-region', value: region },
    });
  }
  return ore.awsClients({
    region,
    credentials: { ...creds, profile: creds.profile ?? o.profile ?? 'default' },
    endpoints: ore.awsEndpointsFromEnv(ctx.env),
    logger: ctx.logger,
  });
}

/** The aws platform's provider for the generic cloud flight. */
export async function awsProvider(o: AwsPlatformOptions, ctx: CloudContext): Promise<CloudProvider> {
  const ami = requireImage(o.ami, {
    code: 'AWS_NO_IMAGE',
    platform: 'aws',
    flag: '--aws-ami',
    what: 'the id of the image to boot (ami-...)',
    hint: 'upload one with `ore aws upload --file IMAGE` (it prints the AMI id), or pass an existing one',
  });
  const ore = await import('@mantle/ore');
  const clients = await openClients(ore, o, ctx);
  return new AwsProvider(ore, clients, { ...o, ami }, ctx.logger);
}

class AwsProvider implements CloudProvider {
  readonly platform = 'aws';
  readonly scope: Record<string, string>;
  private securityGroupId: string | undefined;
  private ownGroup = false;
  private keyPair: { name: string; id: string } | undefined;
  private vpcId: string | undefined;

  constructor(
    private readonly ore: Ore,
    private readonly clients: AwsClients,
    private readonly o: AwsPlatformOptions & { ami: string },
    private readonly log: Logger,
  ) {
    this.scope = { region: clients.region, profile: clients.profile ?? 'default' };
  }

  async prepare(): Promise<void> {
    const { ore, clients, o } = this;
    await requireRegion(ore, clients);
    await ore.requireImage(clients, o.ami);
    await ore.requireInstanceType(clients, o.type);
    if (o.securityGroup) {
      const g = await ore.findSecurityGroup(clients, o.securityGroup);
      if (!g) {
        throw new InputError({
          code: 'AWS_NO_SECURITY_GROUP',
          message: `--aws-sg ${o.securityGroup}: no such security group in ${clients.region}`,
          hint: 'pass an existing group (name or sg-id), or leave --aws-sg out and kola makes one for the run',
          details: { flag: '--aws-sg', value: o.securityGroup },
        });
      }
      this.securityGroupId = g.groupId;
    } else if (!o.subnet) {
      this.vpcId = await ore.defaultVpc(clients);
      if (!this.vpcId) {
        throw new InputError({
          code: 'AWS_NO_DEFAULT_VPC',
          message: `${clients.region} has no default VPC to launch the machines in`,
          hint: 'pass --aws-subnet (a subnet that assigns public IPs) and --aws-sg (a group that lets SSH in)',
        });
      }
    }
  }

  async setupFlight(s: FlightSetup): Promise<void> {
    const { ore, clients } = this;
    const id = await s.journal.track('key-pair', s.runId, () =>
      ore.importKeyPair(clients, {
        name: s.runId,
        publicKey: s.publicKey,
        tags: { ...s.tags, Name: s.runId },
      }),
    );
    this.keyPair = { name: s.runId, id };
    if (this.securityGroupId) return;
    this.securityGroupId = await s.journal.track('security-group', s.runId, () =>
      ore.createSecurityGroup(clients, {
        name: s.runId,
        description: `kola run ${s.runId}: SSH in, all traffic between its machines`,
        ...(this.vpcId ? { vpcId: this.vpcId } : {}),
        tags: { ...s.tags, Name: s.runId },
        ...(this.o.sshCidr ? { sshCidr: this.o.sshCidr } : {}),
      }),
    );
    this.ownGroup = true;
  }

  createInstance(spec: InstanceSpec): Promise<string> {
    const { o } = this;
    return this.ore.runInstance(this.clients, {
      imageId: o.ami,
      instanceType: o.type,
      userData: spec.userData,
      tags: spec.tags,
      ...(this.securityGroupId ? { securityGroupIds: [this.securityGroupId] } : {}),
      ...(o.subnet ? { subnetId: o.subnet } : {}),
      ...(this.keyPair ? { keyName: this.keyPair.name } : {}),
      ...(o.iamProfile ? { iamInstanceProfile: o.iamProfile } : {}),
      // a retried call (SDK retry after a lost answer) must not start a second instance
      clientToken: spec.name,
    });
  }

  async waitRunning(id: string, signal: AbortSignal | undefined): Promise<RunningInstance> {
    const i = await this.ore.waitInstanceRunning(this.clients, id, {
      initialMs: 1000,
      ...(signal ? { signal } : {}),
    });
    return { publicIp: i.publicIp, privateIp: i.privateIp, tags: i.tags };
  }

  consoleOutput(id: string): Promise<string> {
    return this.ore.getConsoleOutput(this.clients, id);
  }

  deleteInstance(id: string): Promise<void> {
    return this.ore.terminateInstances(this.clients, [id]);
  }

  async teardownFlight(t: { journal: RunJournal; instanceIds: string[] }): Promise<void> {
    const { ore, clients } = this;
    if (this.ownGroup && this.securityGroupId) {
      // a group in use cannot be deleted: wait until every instance is gone
      await ore.waitInstancesTerminated(clients, t.instanceIds);
      await ore.deleteSecurityGroup(clients, this.securityGroupId);
      await t.journal.deleted('security-group', t.journal.header.runId, this.securityGroupId);
    }
    if (this.keyPair) {
      await ore.deleteKeyPair(clients, this.keyPair.id);
      await t.journal.deleted('key-pair', this.keyPair.name, this.keyPair.id);
    }
  }

  close(): void {
    this.clients.destroy();
  }
}

/** An unknown region (not in DescribeRegions) is exit 2 before anything is made. */
async function requireRegion(ore: Ore, clients: AwsClients): Promise<void> {
  const home = clients.forRegion(clients.region.startsWith('us-gov-') ? 'us-gov-west-1' : 'us-east-1');
  try {
    const regions = await ore.listRegions(home);
    if (regions.some((r) => r.name === clients.region)) return;
    throw new InputError({
      code: 'AWS_UNKNOWN_REGION',
      message: `--aws-region ${clients.region} is not an AWS region`,
      hint: `use one of: ${regions.map((r) => r.name).join(', ')}`,
      details: { flag: '--aws-region', value: clients.region },
    });
  } finally {
    home.destroy();
  }
}

/** `kola cleanup` for an aws run: the run's region from its state file, credentials from the flags. */
export async function awsCleaner(
  header: RunHeader,
  o: Pick<AwsPlatformOptions, 'profile' | 'configFile'>,
  ctx: CloudContext,
): Promise<CloudCleaner> {
  const ore = await import('@mantle/ore');
  const clients = await openClients(
    ore,
    {
      region: header.scope.region,
      // the run's named profile; 'default' means "whatever the environment gives" (keys in env too)
      profile: o.profile ?? (header.scope.profile !== 'default' ? header.scope.profile : undefined),
      configFile: o.configFile,
    },
    ctx,
  );
  return {
    close: () => clients.destroy(),
    cleanup: async ({ resources, logger, signal }): Promise<CleanupResult> => {
      const open = resources.filter((r) => r.state !== 'deleted' && r.id);
      const ids = (kind: string): string[] => open.filter((r) => r.kind === kind).map((r) => r.id ?? '');
      // By the run's tag (covers a create whose answer never came back) and by the ids it wrote.
      const swept = await ore.sweepInstances(clients, {
        tags: { KolaRunId: header.runId },
        instanceIds: ids('instance'),
        logger,
        ...(signal ? { signal } : {}),
      });
      for (const g of ids('security-group').filter((g) => !swept.securityGroups.includes(g))) {
        await ore.deleteSecurityGroup(clients, g);
        swept.securityGroups.push(g);
      }
      for (const k of ids('key-pair').filter((k) => !swept.keyPairs.includes(k))) {
        await ore.deleteKeyPair(clients, k);
        swept.keyPairs.push(k);
      }
      return {
        deleted: [
          ...swept.instances.map((id) => ({ kind: 'instance', id })),
          ...swept.securityGroups.map((id) => ({ kind: 'security-group', id })),
          ...swept.keyPairs.map((id) => ({ kind: 'key-pair', id })),
        ],
      };
    },
  };
}
