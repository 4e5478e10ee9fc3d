import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '@mantle/core/errors';
import { z } from 'zod';
import type { QemuFlightOptions } from '../platform/qemu/options.js';
import type { FlightOptions } from '../platform/types.js';
import { hostGoArch, normalizeGoArch } from '../registry/arch.js';

const list = z.array(z.string().min(1)).default([]);

/** qemu flags (`--qemu-*`), passed to the qemu platform. */
const QemuRunOptionsSchema = z.object({
  image: z.string().min(1).optional(),
  kernel: z.string().min(1).optional(),
  initrd: z.string().min(1).optional(),
  append: z.string().optional(),
  firmware: z.string().min(1).optional(),
  ovmfVars: z.string().min(1).optional(),
  tpm: z.boolean().default(false),
  qboot: z.boolean().default(true),
  accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
  memoryMiB: z
    .number()
    .int()
    .min(64)
    .max(1024 * 1024)
    .optional(),
  cpus: z.number().int().min(1).max(256).optional(),
  arch: z.enum(['x86_64', 'aarch64']).optional(),
  vnc: z.string().optional(),
  /** how a booted machine proves it is ready (from the image's manifest; default auto) */
  readiness: z.enum(['auto', 'marker', 'systemd']).optional(),
});

/** aws flags (`--aws-*`), passed to the aws platform. */
const AwsRunOptionsSchema = z.object({
  ami: z.string().min(1).optional(),
  type: z.string().min(1).default('m4.large'),
  region: z.string().min(1).optional(),
  profile: z.string().min(1).optional(),
  configFile: z.string().min(1).optional(),
  securityGroup: z.string().min(1).optional(),
  subnet: z.string().min(1).optional(),
  iamProfile: z.string().min(1).optional(),
  sshCidr: z.string().min(1).optional(),
});

/** gcloud flags (`--gce-*`), passed to the gcloud platform. */
const GceRunOptionsSchema = z.object({
  image: z.string().min(1).optional(),
  machineType: z.string().min(1).default('n1-standard-1'),
  project: z.string().min(1).optional(),
  zone: z.string().min(1).default('us-central1-a'),
  jsonKey: z.string().min(1).optional(),
  diskSizeGb: z.number().int().min(1).max(65_536).optional(),
  diskType: z.string().min(1).default('pd-ssd'),
  network: z.string().min(1).default('default'),
  gvnic: z.boolean().default(false),
});

/** azure flags (`--azure-*`), passed to the azure platform. */
const AzureRunOptionsSchema = z.object({
  image: z.string().min(1).optional(),
  size: z.string().min(1).default('Standard_D2s_v3'),
  location: z.string().min(1).default('westus'),
  resourceGroup: z.string().min(1).optional(),
  profile: z.string().min(1).optional(),
  configFile: z.string().min(1).optional(),
  vnet: z.string().min(1).optional(),
});

/** Other names of platforms (mantle's `gce` is kola's `gcloud`). */
const PLATFORM_ALIASES: Readonly<Record<string, string>> = { gce: 'gcloud' };

/** Everything `kola run` needs, validated at the CLI edge (and by in-process callers). */
export const RunOptionsSchema = z.object({
  globs: list,
  platform: z
    .string()
    .min(1)
    .default('qemu')
    .transform((p) => PLATFORM_ALIASES[p] ?? p),
  /** `-b/--distro`; unset = from the image (see chooseImage), else `cl` */
  distro: z.string().min(1).optional(),
  /** `--image`: a cached image name (tiny, systemd), an image directory or a disk image file */
  image: z.string().min(1).optional(),
  parallel: z.union([z.literal('auto'), z.number().int().min(1)]).default(1),
  outputDir: z.string().min(1).optional(),
  basename: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/, 'letters, digits and dashes, at most 32')
    .default('kola'),
  key: list,
  keys: z.boolean().default(false),
  remove: z.boolean().default(true),
  tapfile: z.string().min(1).optional(),
  tags: list,
  excludeTags: list,
  denylist: list,
  rerunFailed: z.boolean().default(false),
  shard: z
    .object({
      index: z.number().int().min(1),
      count: z.number().int().min(1),
      by: z.enum(['name', 'duration']).optional(),
      durationsMs: z.map(z.string(), z.number().nonnegative()).optional(),
    })
    .optional(),
  testsDirs: list,
  exttest: list,
  sshRetries: z.number().int().min(1).max(100_000).default(60),
  sshTimeoutSec: z.number().positive().max(3600).default(10),
  /**
   * restore machines from a snapshot where several of a run's machines boot the same config
   * (--snapshot, on by default; --no-snapshot boots every machine)
   */
  snapshot: z.boolean().default(true),
  /** let `exclusive: false` tests share a machine (--share, on by default; --no-share: one each) */
  share: z.boolean().default(true),
  qemu: QemuRunOptionsSchema.default({ tpm: false, qboot: true, accel: 'auto' }),
  aws: AwsRunOptionsSchema.default({ type: 'm4.large' }),
  gce: GceRunOptionsSchema.default({
    machineType: 'n1-standard-1',
    zone: 'us-central1-a',
    diskType: 'pd-ssd',
    network: 'default',
    gvnic: false,
  }),
  azure: AzureRunOptionsSchema.default({ size: 'Standard_D2s_v3', location: 'westus' }),
  /** how long cloud resources may live (their ExpiresAt tag; `ore <cloud> gc` takes them after) */
  cloudTtlMs: z
    .number()
    .int()
    .min(60_000)
    .max(24 * 3_600_000)
    .default(6 * 3_600_000),
});

export type RunOptions = z.infer<typeof RunOptionsSchema>;
export type RunOptionsInput = z.input<typeof RunOptionsSchema>;

/** The CLI flag behind each option, so validation errors name what the user typed. */
const FLAG_OF: Record<string, string> = {
  globs: 'glob',
  platform: '--platform',
  distro: '--distro',
  image: '--image',
  parallel: '--parallel',
  outputDir: '--output-dir',
  basename: '--basename',
  key: '--key',
  keys: '--keys',
  remove: '--remove',
  tapfile: '--tapfile',
  tags: '--tag',
  excludeTags: '--exclude-tag',
  denylist: '--denylist-test',
  rerunFailed: '--rerun-failed',
  shard: '--shard',
  testsDirs: '--tests-dir',
  exttest: '--exttest',
  sshRetries: '--ssh-retries',
  sshTimeoutSec: '--ssh-timeout',
  snapshot: '--snapshot',
  share: '--share',
  'qemu.image': '--qemu-image',
  'qemu.kernel': '--qemu-kernel',
  'qemu.initrd': '--qemu-initrd',
  'qemu.append': '--qemu-append',
  'qemu.firmware': '--qemu-firmware',
  'qemu.ovmfVars': '--qemu-ovmf-vars',
  'qemu.tpm': '--qemu-tpm',
  'qemu.qboot': '--qemu-qboot',
  'qemu.accel': '--qemu-accel',
  'qemu.memoryMiB': '--qemu-memory',
  'qemu.cpus': '--qemu-cpus',
  'qemu.arch': '--qemu-arch',
  'qemu.vnc': '--qemu-vnc',
  'aws.ami': '--aws-ami',
  'aws.type': '--aws-type',
  'aws.region': '--aws-region',
  'aws.profile': '--aws-profile',
  'aws.configFile': '--aws-config-file',
  'aws.securityGroup': '--aws-sg',
  'aws.subnet': '--aws-subnet',
  'aws.iamProfile': '--aws-iam-profile',
  'aws.sshCidr': '--aws-ssh-cidr',
  'gce.image': '--gce-image',
  'gce.machineType': '--gce-machinetype',
  'gce.project': '--gce-project',
  'gce.zone': '--gce-zone',
  'gce.jsonKey': '--gce-json-key',
  'gce.diskSizeGb': '--gce-disk-size',
  'gce.diskType': '--gce-disk-type',
  'gce.network': '--gce-network',
  'gce.gvnic': '--gce-gvnic',
  'azure.image': '--azure-image',
  'azure.size': '--azure-size',
  'azure.location': '--azure-location',
  'azure.resourceGroup': '--azure-resource-group',
  'azure.profile': '--azure-profile',
  'azure.configFile': '--azure-config-file',
  'azure.vnet': '--azure-vnet',
  cloudTtlMs: '--cloud-ttl',
};

/** Validate run options; a bad value is a UsageError (exit 2) naming the flag. */
export function parseRunOptions(input: unknown): RunOptions {
  const board = (input as { board?: unknown } | null)?.board;
  if (typeof board === 'string') boardArch(board);
  const r = RunOptionsSchema.safeParse(input);
  if (r.success) return r.data;
  throw flagError(r.error.issues, FLAG_OF, "run 'kola run --help' for the accepted values");
}

/** The UsageError (exit 2) for the first schema issue, naming the flag it came from. */
export function flagError(
  issues: readonly { path: readonly PropertyKey[]; message: string; code?: string }[],
  flagOf: Readonly<Record<string, string>>,
  hint: string,
): UsageError {
  const issue = issues[0];
  const path = (issue?.path ?? []).filter((p) => typeof p === 'string').join('.');
  const flag = flagOf[path] ?? flagOf[path.split('.')[0] ?? ''] ?? (path || 'options');
  const got = issue?.code === 'invalid_type' && /number/.test(issue.message) ? ' (not a number?)' : '';
  return new UsageError({
    code: 'BAD_OPTION',
    message: `${flag}: ${issue?.message ?? 'invalid value'}${got}`,
    hint,
    details: { flag, path },
  });
}

/** mantle's --board names and the machines' architecture they mean. */
const BOARDS: Record<string, 'x86_64' | 'aarch64'> = { 'amd64-usr': 'x86_64', 'arm64-usr': 'aarch64' };

/** `--board amd64-usr|arm64-usr` (mantle's way to say the architecture); anything else names --board (exit 2). */
function boardArch(board: string): 'x86_64' | 'aarch64' {
  const arch = Object.hasOwn(BOARDS, board) ? BOARDS[board] : undefined;
  if (arch) return arch;
  throw new UsageError({
    code: 'BAD_OPTION',
    message: `--board ${board}: not a board; expected one of ${Object.keys(BOARDS).join(', ')}`,
    hint: 'pass --board amd64-usr or arm64-usr, or --qemu-arch x86_64|aarch64',
    details: { flag: '--board', value: board },
  });
}

/** The run's architecture in Go spelling: --qemu-arch for qemu, else the host's. */
export function runArch(opts: RunOptions): string {
  return opts.platform === 'qemu' && opts.qemu.arch ? normalizeGoArch(opts.qemu.arch) : hostGoArch();
}

/** The memory one machine takes, for `--parallel auto` (the qemu platform's default is 512 MiB). */
export function memoryPerMachineMiB(opts: RunOptions): number {
  return opts.qemu.memoryMiB ?? 512;
}

/** The public key to authorize on machines: `--key`, or with `-k` alone the user's default key. */
export function userKeyPath(opts: Pick<RunOptions, 'key' | 'keys'>, home = homedir()): string | undefined {
  if (opts.key.length > 0) return opts.key[0];
  if (!opts.keys) return undefined;
  for (const name of ['id_ed25519.pub', 'id_ecdsa.pub', 'id_rsa.pub']) {
    const p = join(home, '.ssh', name);
    if (existsSync(p)) return p;
  }
  throw new UsageError({
    code: 'NO_SSH_KEY',
    message: '-k/--keys: no --key given and no ~/.ssh/id_ed25519.pub, id_ecdsa.pub or id_rsa.pub found',
    hint: 'pass --key PATH_TO_PUBLIC_KEY',
  });
}

/** Map run options onto the qemu platform's options. */
export function qemuFlightOptions(
  opts: RunOptions,
  flight: FlightOptions,
  env?: NodeJS.ProcessEnv,
  kolet?: { path: string; sha256: string },
): QemuFlightOptions {
  const q = opts.qemu;
  const out: QemuFlightOptions = {
    ...flight,
    tpm: q.tpm,
    qboot: q.qboot,
    accel: q.accel,
    sshRetries: opts.sshRetries,
    sshTimeoutSec: opts.sshTimeoutSec,
  };
  if (q.image) out.image = q.image;
  if (q.kernel) out.kernel = q.kernel;
  if (q.initrd) out.initrd = q.initrd;
  if (q.append !== undefined) out.append = q.append;
  if (q.firmware) out.firmware = q.firmware;
  if (q.ovmfVars) out.ovmfVars = q.ovmfVars;
  if (q.memoryMiB) out.memoryMiB = q.memoryMiB;
  if (q.cpus) out.cpus = q.cpus;
  if (q.arch) out.arch = q.arch;
  if (q.readiness) out.readiness = q.readiness;
  const key = userKeyPath(opts);
  if (key) out.keyPath = key;
  if (env) out.env = env;
  if (kolet) out.koletExecutable = kolet;
  return out;
}
