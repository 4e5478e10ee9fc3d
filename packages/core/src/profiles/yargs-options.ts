import type { Argv } from 'yargs';
import { PLATFORM_LABELS, type ProfilePlatform, type ProfileSelection } from './types.js';

/** Extra spellings users of Go mantle know, kept as aliases. */
const CONFIG_ALIASES: Partial<Record<ProfilePlatform, string[]>> = {
  aws: ['aws-credentials-file'],
  azure: ['azure-auth'],
  gce: ['gce-json-key'],
  packet: ['equinixmetal-config-file'],
};
const PROFILE_ALIASES: Partial<Record<ProfilePlatform, string[]>> = {
  azure: ['azure-subscription'],
  packet: ['equinixmetal-profile'],
};

const DEFAULT_FILES: Record<ProfilePlatform, string> = {
  aws: 'AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials',
  azure: 'AZURE_AUTH_LOCATION, else the AZURE_* variables, else ~/.azure/credentials.json',
  gce: "GOOGLE_APPLICATION_CREDENTIALS, else gcloud's application_default_credentials.json",
  do: '~/.config/digitalocean.json',
  esx: '~/.config/esx.json',
  openstack: '~/.config/openstack.json',
  packet: '~/.config/packet.json',
};

/**
 * Add `--<platform>-profile` and `--<platform>-config-file` for each platform (no defaults: the
 * loader applies them). `{ profile: false }` adds only the file flags (for listings).
 */
export function addProfileOptions<T>(
  y: Argv<T>,
  platforms: readonly ProfilePlatform[],
  opts: { profile?: boolean } = {},
): Argv<T> {
  let out = y;
  for (const p of platforms) {
    const label = PLATFORM_LABELS[p];
    if (opts.profile !== false) {
      out = out.option(`${p}-profile`, {
        type: 'string',
        alias: PROFILE_ALIASES[p] ?? [],
        describe:
          p === 'aws'
            ? `${label} profile (default: AWS_PROFILE, else "default")`
            : p === 'azure'
              ? `${label} subscription name from ~/.azure/azureProfile.json (default: the credentials' own)`
              : `${label} profile name (default: "default")`,
        group: 'Credentials:',
      });
    }
    out = out.option(`${p}-config-file`, {
      type: 'string',
      alias: CONFIG_ALIASES[p] ?? [],
      describe: `${label} credentials file${p === 'gce' ? ' (a service-account JSON key)' : ''} (default: ${DEFAULT_FILES[p]})`,
      normalize: true,
      group: 'Credentials:',
    });
  }
  return out;
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The selection the `--<platform>-profile`/`--<platform>-config-file` flags made. */
export function profileSelectionFromArgs(
  args: Record<string, unknown>,
  platform: ProfilePlatform,
): ProfileSelection {
  const profile = args[camel(`${platform}-profile`)];
  const configFile = args[camel(`${platform}-config-file`)];
  return {
    ...(typeof profile === 'string' && profile !== '' ? { profile } : {}),
    ...(typeof configFile === 'string' && configFile !== '' ? { configFile } : {}),
  };
}
