import type { CommandContext } from '@mantle/core/cli';
import { UsageError } from '@mantle/core/errors';
import prices from '../../data/cloud-prices.json' with { type: 'json' };
import type { KolaTest } from '../types.js';
import type { RunOptions } from './options.js';
import { selectRun, type RunDeps } from './run-command.js';

/** How long a cloud machine is assumed to live when no earlier report tells: boot + test. */
const DEFAULT_MACHINE_MINUTES = 10;
/** What booting, reaching and deleting a cloud machine adds to a test's own duration. */
const BOOT_OVERHEAD_MINUTES = 3;

type PriceTable = Record<string, number>;
interface CloudPrices {
  minimumSeconds: number;
  default: PriceTable;
  regions: Record<string, PriceTable>;
}

/** One test of the plan. */
interface PlannedTest {
  name: string;
  machines: number;
  /** minutes each of its machines is assumed to run */
  minutes: number;
  /** where the minutes come from: an earlier report (--shard-durations), else the default */
  from: 'report' | 'default';
}

/** `kola run --dry-run`: what would be created and what it would cost, nothing contacted. */
export interface RunPlan {
  dryRun: true;
  platform: string;
  region: string | undefined;
  instanceType: string;
  image: string | undefined;
  shard: string | undefined;
  parallel: number | 'auto';
  tests: PlannedTest[];
  machines: number;
  instanceHours: number;
  /** undefined when the price table does not know the type */
  pricePerHour: number | undefined;
  estimatedCost: number | undefined;
  /** the worst case with --rerun-failed (every test run twice) */
  estimatedCostMax: number | undefined;
  currency: string;
  pricesAsOf: string;
  notes: string[];
}

/** The cloud, region, instance type and image of a run, as its flags give them. */
function cloudOf(
  o: RunOptions,
  env: NodeJS.ProcessEnv,
): {
  cloud: 'aws' | 'gcloud' | 'azure';
  region: string;
  type: string;
  image: string | undefined;
  imageFlag: string;
} {
  if (o.platform === 'aws')
    return {
      cloud: 'aws',
      region: o.aws.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-west-2',
      type: o.aws.type,
      image: o.aws.ami,
      imageFlag: '--aws-ami',
    };
  if (o.platform === 'gcloud')
    return {
      cloud: 'gcloud',
      region: o.gce.zone,
      type: o.gce.machineType,
      image: o.gce.image,
      imageFlag: '--gce-image',
    };
  if (o.platform === 'azure')
    return {
      cloud: 'azure',
      region: o.azure.location,
      type: o.azure.size,
      image: o.azure.image,
      imageFlag: '--azure-image',
    };
  throw new UsageError({
    code: 'KOLA_DRY_RUN_PLATFORM',
    message: `--dry-run plans cloud runs; platform ${o.platform} has no cost to plan`,
    hint: 'use --dry-run with -p aws, -p gcloud or -p azure (kola list shows what a qemu run would select)',
    details: { flag: '--dry-run', platform: o.platform },
  });
}

/** Where each cloud's default price column is from. */
const DEFAULT_PRICE_REGION = { aws: 'us-east-1', gcloud: 'us-central1', azure: 'eastus' } as const;

/** Price per hour of a type in a region (the region's column, else the cloud's default one). */
export function hourlyPrice(cloud: string, region: string, type: string): number | undefined {
  const table = (prices as unknown as Record<string, CloudPrices | undefined>)[cloud];
  return table?.regions[region]?.[type] ?? table?.default[type];
}

/** Plan tests × machines × instance type and the estimated cost, from a price table in data/. */
function planRun(o: RunOptions, tests: readonly KolaTest[], env: NodeJS.ProcessEnv): RunPlan {
  const c = cloudOf(o, env);
  const table = (prices as unknown as Record<string, CloudPrices>)[c.cloud] as CloudPrices;
  const minSec = table.minimumSeconds;
  const known = o.shard?.durationsMs;
  const planned: PlannedTest[] = tests.map((t) => {
    const ms = known?.get(t.name);
    return {
      name: t.name,
      machines: t.clusterSize,
      minutes:
        ms === undefined
          ? DEFAULT_MACHINE_MINUTES
          : Math.round((ms / 60_000 + BOOT_OVERHEAD_MINUTES) * 10) / 10,
      from: ms === undefined ? 'default' : 'report',
    };
  });
  const machineSeconds = planned.reduce((s, t) => s + t.machines * Math.max(minSec, t.minutes * 60), 0);
  const instanceHours = Math.round((machineSeconds / 3600) * 1000) / 1000;
  const price = hourlyPrice(c.cloud, c.region, c.type);
  const cost = price === undefined ? undefined : Math.round(instanceHours * price * 10_000) / 10_000;
  const notes: string[] = [];
  if (price === undefined)
    notes.push(
      `the price table (data/cloud-prices.json) has no ${c.type} price for ${c.cloud}; add it to get a cost`,
    );
  else if (!(prices as unknown as Record<string, CloudPrices>)[c.cloud]?.regions[c.region]?.[c.type])
    notes.push(
      `no ${c.region} column for ${c.type}: the ${c.cloud} default price (${DEFAULT_PRICE_REGION[c.cloud]}) is used`,
    );
  if (planned.some((t) => t.from === 'default'))
    notes.push(
      `tests without an earlier duration (--shard-by duration --shard-durations REPORT gives them) are assumed to keep their machines ${DEFAULT_MACHINE_MINUTES} min`,
    );
  if (!c.image) notes.push(`no ${c.imageFlag} given: a real run needs one`);
  notes.push(
    'on-demand list prices; storage, traffic and taxes are not included; nothing was created or contacted',
  );
  return {
    dryRun: true,
    platform: o.platform,
    region: c.region,
    instanceType: c.type,
    image: c.image,
    shard: o.shard ? `${o.shard.index}/${o.shard.count}` : undefined,
    parallel: o.parallel,
    tests: planned,
    machines: planned.reduce((s, t) => s + t.machines, 0),
    instanceHours,
    pricePerHour: price,
    estimatedCost: cost,
    estimatedCostMax:
      cost === undefined ? undefined : o.rerunFailed ? Math.round(cost * 2 * 10_000) / 10_000 : cost,
    currency: prices.currency,
    pricesAsOf: prices.asOf,
    notes,
  };
}

/** `kola run --dry-run`: select the tests as a run would, then plan (no output dir, no cloud call). */
export async function dryRunCommand(
  input: RunOptions,
  ctx: CommandContext,
  deps: Pick<RunDeps, 'platforms' | 'registry'> = {},
): Promise<RunPlan> {
  const { opts, tests } = await selectRun(input, ctx, deps);
  return planRun(opts, tests, ctx.env);
}
