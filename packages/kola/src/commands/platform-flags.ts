import type { Argv } from 'yargs';
import { parseDuration } from '../registry/duration.js';

// The platform flags `kola run`, `spawn`, `check` and `bootchart` share, and how they become the
// raw (unvalidated) platform part of RunOptions/SpawnOptions.

/** --platform, --image, --key..., --qemu-*: how to boot machines. */
export function platformFlags<T>(y: Argv<T>) {
  return y
    .option('platform', {
      alias: 'p',
      type: 'string',
      default: 'qemu',
      describe: 'platform to boot machines on',
    })
    .option('basename', { type: 'string', default: 'kola', describe: 'prefix of machine and cluster names' })
    .option('key', {
      type: 'string',
      array: true,
      describe: 'SSH public key to authorize on the machines (repeatable)',
    })
    .option('keys', {
      alias: 'k',
      type: 'boolean',
      default: false,
      describe: 'authorize --key, or ~/.ssh/id_*.pub without one',
    })
    .option('remove', {
      alias: 'r',
      type: 'boolean',
      default: true,
      describe: 'destroy machines afterwards (--remove=false keeps them)',
    })
    .option('output-dir', {
      type: 'string',
      describe: 'output directory (default _kola_temp/<platform>-<date>-<pid>)',
    })
    .option('ssh-retries', {
      type: 'number',
      default: 60,
      describe: 'SSH connection attempts while a machine boots',
    })
    .option('ssh-timeout', { type: 'number', default: 10, describe: 'seconds each SSH attempt may take' })
    .option('board', {
      type: 'string',
      describe: 'mantle compatibility: amd64-usr or arm64-usr (sets --qemu-arch)',
    })
    .option('image', {
      alias: 'image-name',
      type: 'string',
      describe:
        'image to boot: a cached test image name (tiny, systemd), an image directory with manifest.json, or a disk image file',
    })
    .option('qemu-image', { type: 'string', describe: 'disk image to boot (default: the tiny test image)' })
    .option('qemu-kernel', { type: 'string', describe: 'kernel for direct boot' })
    .option('qemu-initrd', { type: 'string', describe: 'initrd for direct boot' })
    .option('qemu-append', { type: 'string', describe: 'kernel command line for direct boot' })
    .option('qemu-firmware', { type: 'string', describe: 'bios, uefi or an OVMF code image' })
    .option('qemu-ovmf-vars', { type: 'string', describe: 'UEFI variable store template' })
    .option('qemu-tpm', { type: 'boolean', default: false, describe: 'give each machine a TPM 2.0 (swtpm)' })
    .option('qemu-qboot', {
      type: 'boolean',
      default: true,
      describe:
        "boot kernels through qemu's qboot instead of SeaBIOS where qemu has it (faster; --no-qemu-qboot for SeaBIOS)",
    })
    .option('qemu-accel', {
      choices: ['auto', 'kvm', 'tcg'] as const,
      default: 'auto' as const,
      describe: 'accelerator',
    })
    .option('qemu-memory', { type: 'number', describe: 'memory per machine in MiB (default 512)' })
    .option('qemu-cpus', { type: 'number', describe: 'vCPUs per machine (default 1)' })
    .option('qemu-arch', { choices: ['x86_64', 'aarch64'] as const, describe: 'guest architecture' })
    .option('qemu-vnc', {
      type: 'string',
      describe: 'accepted for mantle compatibility; no VNC display yet',
    })
    .option('aws-ami', { type: 'string', describe: 'aws: the AMI to boot (ami-...)', group: 'aws:' })
    .option('aws-type', {
      type: 'string',
      default: 'm4.large',
      describe: 'aws: instance type',
      group: 'aws:',
    })
    .option('aws-region', {
      type: 'string',
      describe: 'aws: region (default AWS_REGION, else the profile region, else us-west-2)',
      group: 'aws:',
    })
    .option('aws-profile', {
      type: 'string',
      describe: 'aws: credentials profile (default AWS_PROFILE, else default)',
      group: 'aws:',
    })
    .option('aws-config-file', {
      alias: 'aws-credentials-file',
      type: 'string',
      describe: 'aws: credentials file (default AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials)',
      group: 'aws:',
    })
    .option('aws-sg', {
      type: 'string',
      describe:
        'aws: an existing security group (name or sg-id); default: one made for the run and deleted with it',
      group: 'aws:',
    })
    .option('aws-subnet', {
      type: 'string',
      describe: "aws: subnet to launch in (default: the default VPC's)",
      group: 'aws:',
    })
    .option('aws-iam-profile', {
      type: 'string',
      describe: 'aws: IAM instance profile for the machines',
      group: 'aws:',
    })
    .option('aws-ssh-cidr', {
      type: 'string',
      describe: "aws: where SSH may come from in the run's security group (default 0.0.0.0/0)",
      group: 'aws:',
    })
    .option('gce-image', {
      type: 'string',
      describe: 'gcloud: the image to boot (NAME, family/F or projects/P/global/images/NAME)',
      group: 'gcloud:',
    })
    .option('gce-machinetype', {
      type: 'string',
      default: 'n1-standard-1',
      describe: 'gcloud: machine type',
      group: 'gcloud:',
    })
    .option('gce-project', {
      type: 'string',
      describe: "gcloud: project (default: the key's project_id)",
      group: 'gcloud:',
    })
    .option('gce-zone', {
      type: 'string',
      default: 'us-central1-a',
      describe: 'gcloud: zone',
      group: 'gcloud:',
    })
    .option('gce-json-key', {
      alias: 'gce-config-file',
      type: 'string',
      describe:
        "gcloud: service-account JSON key (default GOOGLE_APPLICATION_CREDENTIALS, else gcloud's application_default_credentials.json)",
      group: 'gcloud:',
    })
    .option('gce-disk-size', {
      type: 'number',
      describe: 'gcloud: boot disk size in GB (default 16)',
      group: 'gcloud:',
    })
    .option('gce-disk-type', {
      type: 'string',
      default: 'pd-ssd',
      describe: 'gcloud: boot disk type',
      group: 'gcloud:',
    })
    .option('gce-network', {
      type: 'string',
      default: 'default',
      describe: 'gcloud: VPC network (its firewall must let SSH in)',
      group: 'gcloud:',
    })
    .option('gce-gvnic', {
      type: 'boolean',
      default: false,
      describe: 'gcloud: gVNIC instead of virtio-net',
      group: 'gcloud:',
    })
    .option('azure-image', {
      type: 'string',
      describe: 'azure: ARM id of the managed image or gallery image version to boot',
      group: 'azure:',
    })
    .option('azure-size', {
      type: 'string',
      default: 'Standard_D2s_v3',
      describe: 'azure: VM size',
      group: 'azure:',
    })
    .option('azure-location', {
      type: 'string',
      default: 'westus',
      describe: 'azure: location',
      group: 'azure:',
    })
    .option('azure-resource-group', {
      type: 'string',
      describe: "azure: the existing resource group the run's resources are made in (tagged with the run)",
      group: 'azure:',
    })
    .option('azure-profile', {
      type: 'string',
      describe: "azure: subscription of ~/.azure/azureProfile.json by name or id (default: the credentials')",
      group: 'azure:',
    })
    .option('azure-config-file', {
      alias: 'azure-auth',
      type: 'string',
      describe:
        'azure: SDK auth file (default AZURE_AUTH_LOCATION, else the AZURE_* variables, else ~/.azure/credentials.json)',
      group: 'azure:',
    })
    .option('azure-vnet', {
      alias: 'azure-vnet-subnet-name',
      type: 'string',
      describe:
        'azure: an existing VNET[/SUBNET] of the resource group (default: a network made for the run)',
      group: 'azure:',
    })
    .option('cloud-ttl', {
      type: 'string',
      default: '6h',
      describe: 'clouds: lifetime written on every resource (ExpiresAt tag); `ore <cloud> gc` takes it after',
    });
}

/** The parsed platform flags (what `platformFlags` declares, camel-cased). */
export interface PlatformArgs {
  platform: string;
  image?: string | undefined;
  basename: string;
  key?: string[] | undefined;
  keys: boolean;
  remove: boolean;
  outputDir?: string | undefined;
  sshRetries: number;
  sshTimeout: number;
  board?: string | undefined;
  qemuImage?: string | undefined;
  qemuKernel?: string | undefined;
  qemuInitrd?: string | undefined;
  qemuAppend?: string | undefined;
  qemuFirmware?: string | undefined;
  qemuOvmfVars?: string | undefined;
  qemuTpm: boolean;
  qemuQboot?: boolean;
  qemuAccel: string;
  qemuMemory?: number | undefined;
  qemuCpus?: number | undefined;
  qemuArch?: string | undefined;
  qemuVnc?: string | undefined;
  awsAmi?: string | undefined;
  awsType: string;
  awsRegion?: string | undefined;
  awsProfile?: string | undefined;
  awsConfigFile?: string | undefined;
  awsSg?: string | undefined;
  awsSubnet?: string | undefined;
  awsIamProfile?: string | undefined;
  awsSshCidr?: string | undefined;
  gceImage?: string | undefined;
  gceMachinetype: string;
  gceProject?: string | undefined;
  gceZone: string;
  gceJsonKey?: string | undefined;
  gceDiskSize?: number | undefined;
  gceDiskType: string;
  gceNetwork: string;
  gceGvnic: boolean;
  azureImage?: string | undefined;
  azureSize: string;
  azureLocation: string;
  azureResourceGroup?: string | undefined;
  azureProfile?: string | undefined;
  azureConfigFile?: string | undefined;
  azureVnet?: string | undefined;
  cloudTtl: string;
}

/** The raw (unvalidated) platform part of RunOptions/SpawnOptions from parsed flags. */
export function platformOptions(a: PlatformArgs): Record<string, unknown> {
  const boardArch: Record<string, string> = { 'amd64-usr': 'x86_64', 'arm64-usr': 'aarch64' };
  return {
    platform: a.platform,
    // checked by parseRunOptions, so an unknown board is named as --board
    board: a.board,
    image: a.image,
    basename: a.basename,
    key: a.key ?? [],
    keys: a.keys,
    remove: a.remove,
    outputDir: a.outputDir,
    sshRetries: a.sshRetries,
    sshTimeoutSec: a.sshTimeout,
    qemu: {
      image: a.qemuImage,
      kernel: a.qemuKernel,
      initrd: a.qemuInitrd,
      append: a.qemuAppend,
      firmware: a.qemuFirmware,
      ovmfVars: a.qemuOvmfVars,
      tpm: a.qemuTpm,
      qboot: a.qemuQboot,
      accel: a.qemuAccel,
      memoryMiB: a.qemuMemory,
      cpus: a.qemuCpus,
      arch: a.qemuArch ?? (a.board ? boardArch[a.board] : undefined),
      vnc: a.qemuVnc,
    },
    aws: {
      ami: a.awsAmi,
      type: a.awsType,
      region: a.awsRegion,
      profile: a.awsProfile,
      configFile: a.awsConfigFile,
      securityGroup: a.awsSg,
      subnet: a.awsSubnet,
      iamProfile: a.awsIamProfile,
      sshCidr: a.awsSshCidr,
    },
    gce: {
      image: a.gceImage,
      machineType: a.gceMachinetype,
      project: a.gceProject,
      zone: a.gceZone,
      jsonKey: a.gceJsonKey,
      diskSizeGb: a.gceDiskSize,
      diskType: a.gceDiskType,
      network: a.gceNetwork,
      gvnic: a.gceGvnic,
    },
    azure: {
      image: a.azureImage,
      size: a.azureSize,
      location: a.azureLocation,
      resourceGroup: a.azureResourceGroup,
      profile: a.azureProfile,
      configFile: a.azureConfigFile,
      vnet: a.azureVnet,
    },
    cloudTtlMs: parseDuration(a.cloudTtl, '--cloud-ttl'),
  };
}
