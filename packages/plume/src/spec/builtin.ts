import type { ReleaseSpecInput } from './schema.js';

// The built-in release spec: Flatcar's channels as Flatcar's Go plume knew them. Override all of
// it with `--spec FILE` (same schema, YAML or JSON; `plume spec show --json` prints a starting point).

const SOURCE = 'https://bincache.flatcar-linux.net/images/{arch}/{version}/';

const AWS_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-north-1',
  'eu-south-1',
  'eu-central-1',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-northeast-1',
  'ap-northeast-2',
  'af-south-1',
  'sa-east-1',
  'ca-central-1',
  'ap-east-1',
];

const AWS_PARTITIONS = {
  default: {
    name: 'AWS',
    profile: 'default',
    bucket: 'flatcar-prod-ami-import-eu-central-1',
    bucketRegion: 'eu-central-1',
    regions: AWS_REGIONS,
  },
  china: {
    name: 'AWS China',
    profile: 'china',
    bucket: 'flatcar-prod-ami-import-cn-north-1',
    bucketRegion: 'cn-north-1',
    regions: ['cn-north-1', 'cn-northwest-1'],
  },
  developer: {
    name: 'AWS Developer',
    profile: 'default',
    bucket: 'flatcar-developer-ami-import-us-west-2',
    bucketRegion: 'us-west-2',
    regions: ['us-west-2'],
  },
};

const DESCRIPTIONS = {
  alpha:
    'The Alpha channel closely tracks current development work and is released frequently. The newest versions of the Linux kernel, systemd, and other components will be available for testing.',
  beta: 'The Beta channel consists of promoted Alpha releases. Mix a few beta machines into your production clusters to catch any bugs specific to your hardware or configuration.',
  stable:
    'The Stable channel should be used by production clusters. Versions of Flatcar Container Linux are battle-tested within the Beta and Alpha channels before being promoted.',
  lts: 'The LTS channel should be used by production clusters. Versions of Flatcar Container Linux are battle-tested within the Stable channel before being promoted.',
  developer: 'The Developer Channel is used for internal test builds.',
};

function publicChannel(channel: keyof typeof DESCRIPTIONS): ReleaseSpecInput['channels'][string] {
  return {
    description: DESCRIPTIONS[channel],
    boards: ['amd64-usr', 'arm64-usr'],
    source: SOURCE,
    aws: { partitions: [AWS_PARTITIONS.default, AWS_PARTITIONS.china] },
    gce: {
      // No arm64 GCE images yet (as Flatcar's release does).
      boards: ['amd64-usr'],
      project: 'kinvolk-public',
      family: `flatcar-${channel}`,
      description: DESCRIPTIONS[channel],
      licenses: ['flatcar-container-linux'],
      staging: 'gs://flatcar-jenkins/{channel}/boards/{board}/{version}/',
      limit: 10,
    },
    azure: {
      blobs: 'azure://flatcar0001/publish',
      gallery: {
        resourceGroup: 'flatcar',
        name: 'flatcar',
        imageDefinition: `flatcar-${channel}-{arch}`,
        regions: ['westeurope', 'eastus', 'westus2'],
        // Community gallery publisher details in Flatcar's name: placeholders for the built-in
        // spec (Azure shows them to everyone); a real release sets its own with --spec.
        community: {
          publisherUri: 'https://www.flatcar.org/',
          publisherContact: 'infra@flatcar-linux.org',
          eula: 'https://www.flatcar.org/docs/latest/',
          publicNamePrefix: 'flatcar4azure',
        },
      },
    },
    storage: [
      {
        url: `gs://${channel}.release.flatcar-linux.net/`,
        title: `${channel}.release.flatcar-linux.net`,
        paths: ['{board}/{version}', '{board}/current'],
      },
    ],
  };
}

/** Flatcar's channels × boards. */
export const BUILTIN_SPEC: ReleaseSpecInput = {
  channels: {
    alpha: publicChannel('alpha'),
    beta: publicChannel('beta'),
    stable: publicChannel('stable'),
    lts: publicChannel('lts'),
    developer: {
      description: DESCRIPTIONS.developer,
      boards: ['amd64-usr', 'arm64-usr'],
      source: SOURCE,
      aws: { partitions: [AWS_PARTITIONS.developer] },
      azure: { blobs: 'azure://flatcar0001/developer' },
    },
  },
};
