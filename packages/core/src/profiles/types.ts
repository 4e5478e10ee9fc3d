import type { ProfileEnvOptions } from './paths.js';

/** Every platform mantle reads credentials for. `packet` is Equinix Metal (formerly Packet). */
export const PROFILE_PLATFORMS = ['aws', 'azure', 'gce', 'do', 'esx', 'openstack', 'packet'] as const;
export type ProfilePlatform = (typeof PROFILE_PLATFORMS)[number];

/** The name the original tools use when no profile is selected. */
export const DEFAULT_PROFILE = 'default';

/** Human names used in messages. */
export const PLATFORM_LABELS: Record<ProfilePlatform, string> = {
  aws: 'AWS',
  azure: 'Azure',
  gce: 'GCE',
  do: 'DigitalOcean',
  esx: 'ESX',
  openstack: 'OpenStack',
  packet: 'Equinix Metal (Packet)',
};

/** Fields every loaded credential set has. */
export interface BaseCredentials {
  platform: ProfilePlatform;
  /** the selected profile name */
  profile: string;
  /** where the credentials came from, as shown to users: `~/.aws/credentials`, `environment`, ... */
  source: string;
  /** the absolute path of the file they came from (absent for the environment) */
  sourcePath?: string;
}

/** Static AWS keys (from a profile, its source_profile, or the environment), plus the role to assume if any. */
export interface AwsCredentials extends BaseCredentials {
  platform: 'aws';
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region?: string;
  /** set when the profile says `role_arn`: the caller assumes this role with the keys above */
  roleArn?: string;
  roleSessionName?: string;
  externalId?: string;
  /** the profile the keys came from when the selected one assumes a role */
  sourceProfile?: string;
}

/** An Azure service principal and the subscription to work in. */
export interface AzureCredentials extends BaseCredentials {
  platform: 'azure';
  clientId: string;
  clientSecret: string;
  tenantId: string;
  subscriptionId: string;
  subscriptionName?: string;
  activeDirectoryEndpointUrl?: string;
  resourceManagerEndpointUrl?: string;
  activeDirectoryGraphResourceId?: string;
  managementEndpointUrl?: string;
  storageEndpointSuffix?: string;
}

/** A Google service-account key. */
export interface GceCredentials extends BaseCredentials {
  platform: 'gce';
  projectId: string;
  clientEmail: string;
  privateKey: string;
  privateKeyId?: string;
  clientId?: string;
  tokenUri?: string;
  /** the path of the key file */
  keyFile: string;
  /** the whole key as parsed, for SDKs that take it as is (`credentials:`) */
  json: Record<string, unknown>;
}

/** A DigitalOcean API token. */
export interface DoCredentials extends BaseCredentials {
  platform: 'do';
  token: string;
}

/** A vSphere/ESX server login plus mantle's optional static-IP settings. */
export interface EsxCredentials extends BaseCredentials {
  platform: 'esx';
  server: string;
  user: string;
  password: string;
  staticIps?: number;
  firstStaticIp?: string;
  firstStaticIpPrivate?: string;
  gateway?: string;
  gatewayPrivate?: string;
  subnetSize?: number;
  /** skip the verification of the host's TLS certificate (mantle's key; Go mantle never verifies) */
  insecure?: boolean;
}

/** An OpenStack (Keystone) login. */
export interface OpenStackCredentials extends BaseCredentials {
  platform: 'openstack';
  authUrl: string;
  username: string;
  password: string;
  tenantId?: string;
  tenantName?: string;
  userDomain?: string;
  floatingIpPool?: string;
  regionName?: string;
}

/** An Equinix Metal (Packet) API key and project. */
export interface PacketCredentials extends BaseCredentials {
  platform: 'packet';
  apiKey: string;
  project: string;
}

/** The typed credentials each platform's loader returns. */
export interface CredentialsByPlatform {
  aws: AwsCredentials;
  azure: AzureCredentials;
  gce: GceCredentials;
  do: DoCredentials;
  esx: EsxCredentials;
  openstack: OpenStackCredentials;
  packet: PacketCredentials;
}

export type Credentials = CredentialsByPlatform[ProfilePlatform];

/** How to select a profile: `--<platform>-profile` and `--<platform>-config-file`. */
export interface ProfileSelection {
  /** the profile name; each platform's default applies when absent (`default`, or AWS_PROFILE for AWS) */
  profile?: string | undefined;
  /** a credentials file instead of the platform's default location */
  configFile?: string | undefined;
}

export interface LoadProfileOptions extends ProfileSelection, ProfileEnvOptions {}

/** One profile as `listProfiles` shows it. */
export interface ProfileStatus {
  name: string;
  /** the file (as shown to users) or `environment` */
  source: string;
  /** true when loadProfile would succeed for it */
  usable: boolean;
  /** required fields that are absent */
  missing: string[];
  /** why it is not usable, one line each (never containing values) */
  problems: string[];
  /** its fields for display: secrets masked, identifiers shortened to the last 4 characters */
  summary: Record<string, string>;
}

/** A place credentials are read from, and whether it exists. */
export interface ProfileSourceInfo {
  /** file path as shown to users, or `environment (VAR, ...)` */
  source: string;
  via: string;
  exists: boolean;
}

/** A source that exists but could not be read or parsed. */
export interface ProfileSourceProblem {
  source: string;
  code: string;
  message: string;
  line?: number;
  column?: number;
}

/** Everything `listProfiles` found for one platform. */
export interface PlatformProfiles {
  platform: ProfilePlatform;
  label: string;
  sources: ProfileSourceInfo[];
  profiles: ProfileStatus[];
  /** sources that exist but are malformed or unreadable; the other sources are still listed */
  errors: ProfileSourceProblem[];
  /** e.g. a credentials file readable by other users */
  warnings: string[];
}
