import { UsageError } from '../errors/mantle-error.js';
import { loadAwsProfile, listAwsProfiles, AWS_FIELDS } from './aws.js';
import { loadAzureProfile, listAzureProfiles, AZURE_FIELDS } from './azure.js';
import { summarizeTyped, type FieldSpec } from './fields.js';
import { loadGceProfile, listGceProfiles, GCE_FIELDS } from './gce.js';
import { JSON_MAP_PLATFORMS, listJsonMapProfiles, loadJsonMapProfile } from './json-map.js';
import { resolveProfileEnv, type ProfileEnvOptions } from './paths.js';
import {
  PLATFORM_LABELS,
  PROFILE_PLATFORMS,
  type Credentials,
  type CredentialsByPlatform,
  type LoadProfileOptions,
  type PlatformProfiles,
  type ProfilePlatform,
  type ProfileSelection,
} from './types.js';

function assertPlatform(platform: string): asserts platform is ProfilePlatform {
  if (!(PROFILE_PLATFORMS as readonly string[]).includes(platform)) {
    throw new UsageError({
      code: 'PROFILE_UNKNOWN_PLATFORM',
      message: `unknown credentials platform "${platform}"`,
      hint: `use one of: ${PROFILE_PLATFORMS.join(', ')}`,
    });
  }
}

/**
 * Load one platform's credentials from where the original tools read them, validated and typed.
 * Every secret read is registered with the log redactor. Throws InputError (exit 2) for broken
 * files, missing profiles and wrong fields, PrerequisiteError (exit 3) when none exist at all.
 */
export async function loadProfile<P extends ProfilePlatform>(
  platform: P,
  opts: LoadProfileOptions = {},
): Promise<CredentialsByPlatform[P]> {
  assertPlatform(platform);
  const penv = resolveProfileEnv(opts);
  const sel: ProfileSelection = { profile: opts.profile, configFile: opts.configFile };
  const which: ProfilePlatform = platform;
  switch (which) {
    case 'aws':
      return (await loadAwsProfile(sel, penv)) as CredentialsByPlatform[P];
    case 'azure':
      return (await loadAzureProfile(sel, penv)) as CredentialsByPlatform[P];
    case 'gce':
      return (await loadGceProfile(sel, penv)) as CredentialsByPlatform[P];
    case 'do':
    case 'esx':
    case 'openstack':
    case 'packet': {
      const rec = await loadJsonMapProfile(JSON_MAP_PLATFORMS[which], sel, penv);
      return { ...rec, platform: which } as unknown as CredentialsByPlatform[P];
    }
  }
  throw new Error('unreachable');
}

export interface ListProfilesOptions extends ProfileEnvOptions {
  /** only these platforms (default: all) */
  platforms?: readonly ProfilePlatform[];
  /** a config file per platform instead of its default location (the `--<platform>-config-file` flags) */
  configFiles?: Partial<Record<ProfilePlatform, string | undefined>>;
}

/**
 * List every platform's profiles with whether each is usable and what it lacks. A malformed or
 * unreadable file is reported in its platform's `errors`; everything else is still listed.
 */
export async function listProfiles(opts: ListProfilesOptions = {}): Promise<PlatformProfiles[]> {
  const penv = resolveProfileEnv(opts);
  const platforms = opts.platforms ?? PROFILE_PLATFORMS;
  return Promise.all(
    platforms.map((platform) => {
      assertPlatform(platform);
      const sel: ProfileSelection = { configFile: opts.configFiles?.[platform] };
      switch (platform) {
        case 'aws':
          return listAwsProfiles(sel, penv);
        case 'azure':
          return listAzureProfiles(sel, penv);
        case 'gce':
          return listGceProfiles(sel, penv);
        default:
          return listJsonMapProfiles(JSON_MAP_PLATFORMS[platform], sel, penv);
      }
    }),
  );
}

/** What describeProfile returns: safe to print or log. */
export interface ProfileDescription {
  platform: ProfilePlatform;
  label: string;
  profile: string;
  source: string;
  /** fields by their file names; secrets shown as `***`, identifiers as `AKIA****WXYZ` */
  fields: Record<string, string>;
}

const DESCRIBE_FIELDS: Record<ProfilePlatform, readonly FieldSpec[]> = {
  aws: AWS_FIELDS,
  azure: [
    ...AZURE_FIELDS,
    { key: 'subscriptionName', prop: 'subscriptionName', type: 'string', required: false, kind: 'plain' },
  ],
  gce: GCE_FIELDS,
  do: JSON_MAP_PLATFORMS.do.fields,
  esx: JSON_MAP_PLATFORMS.esx.fields,
  openstack: JSON_MAP_PLATFORMS.openstack.fields,
  packet: JSON_MAP_PLATFORMS.packet.fields,
};

/** A display copy of loaded credentials with every secret masked. */
export function describeProfile(creds: Credentials): ProfileDescription {
  return {
    platform: creds.platform,
    label: PLATFORM_LABELS[creds.platform],
    profile: creds.profile,
    source: creds.source,
    fields: summarizeTyped(creds as unknown as Record<string, unknown>, DESCRIBE_FIELDS[creds.platform]),
  };
}
