import {
  DEFAULT_PROFILE,
  PLATFORM_LABELS,
  type PlatformProfiles,
  type ProfilePlatform,
  type ProfileSelection,
  type ProfileStatus,
} from './types.js';
import type { ProfileEnv } from './paths.js';
import { chooseFile, parseJsonSource, readChosenSource, sourceFile, type SourceFile } from './source.js';
import { checkFields, registerRecordSecrets, summarizeRecord, type FieldSpec } from './fields.js';
import { noCredentialsError, profileInvalidError, profileNotFoundError } from './errors.js';
import { InputError } from '../errors/mantle-error.js';
import { ProfileErrorCode } from './errors.js';
import { emptyListing, permissionWarning, sourceProblem } from './listing.js';
import { homePath } from './paths.js';
import { existsSync } from 'node:fs';

/**
 * The mantle-specific JSON credential files: one object mapping profile name → settings
 * (`~/.config/digitalocean.json`, `esx.json`, `openstack.json`, `packet.json`).
 */
export interface JsonMapPlatform {
  platform: ProfilePlatform;
  /** path under the home dir, e.g. ['.config', 'packet.json'] */
  fileParts: string[];
  /** an older/newer name read when the main one does not exist (equinixmetal.json for packet) */
  altFileParts?: string[];
  fields: readonly FieldSpec[];
  /** an example entry for hints */
  example: string;
}

const str = (key: string, prop: string, required: boolean, kind: FieldSpec['kind'] = 'plain'): FieldSpec => ({
  key,
  prop,
  type: 'string',
  required,
  kind,
});
const num = (key: string, prop: string): FieldSpec => ({
  key,
  prop,
  type: 'number',
  required: false,
  kind: 'plain',
});
const bool = (key: string, prop: string): FieldSpec => ({
  key,
  prop,
  type: 'boolean',
  required: false,
  kind: 'plain',
});

/** The JSON-file platforms and their fields, as mantle's auth package reads them. */
export const JSON_MAP_PLATFORMS: Record<'do' | 'esx' | 'openstack' | 'packet', JsonMapPlatform> = {
  do: {
    platform: 'do',
    fileParts: ['.config', 'digitalocean.json'],
    fields: [str('token', 'token', true, 'secret')],
    example: '{"default": {"token": "..."}}',
  },
  esx: {
    platform: 'esx',
    fileParts: ['.config', 'esx.json'],
    fields: [
      str('server', 'server', true),
      str('user', 'user', true),
      str('password', 'password', true, 'secret'),
      num('static_ips', 'staticIps'),
      str('first_static_ip', 'firstStaticIp', false),
      str('first_static_ip_private', 'firstStaticIpPrivate', false),
      str('gateway', 'gateway', false),
      str('gateway_private', 'gatewayPrivate', false),
      num('subnet_size', 'subnetSize'),
      // mantle's own key (Go mantle's esx.json has none: its ore never verifies the certificate):
      // skip the TLS verification of this host, which most often has a self-signed certificate.
      bool('insecure', 'insecure'),
    ],
    example: '{"default": {"server": "...", "user": "...", "password": "..."}}',
  },
  openstack: {
    platform: 'openstack',
    fileParts: ['.config', 'openstack.json'],
    fields: [
      str('auth_url', 'authUrl', true),
      str('username', 'username', true),
      str('password', 'password', true, 'secret'),
      str('tenant_id', 'tenantId', false),
      str('tenant_name', 'tenantName', false),
      str('user_domain', 'userDomain', false),
      str('floating_ip_pool', 'floatingIpPool', false),
      str('region_name', 'regionName', false),
    ],
    example: '{"default": {"auth_url": "...", "username": "...", "password": "...", "tenant_name": "..."}}',
  },
  packet: {
    platform: 'packet',
    fileParts: ['.config', 'packet.json'],
    altFileParts: ['.config', 'equinixmetal.json'],
    fields: [str('api_key', 'apiKey', true, 'secret'), str('project', 'project', true)],
    example: '{"default": {"api_key": "...", "project": "..."}}',
  },
};

function chooseJsonFile(def: JsonMapPlatform, sel: ProfileSelection, penv: ProfileEnv): SourceFile {
  const src = chooseFile(penv, {
    flag: sel.configFile,
    flagName: `--${def.platform}-config-file`,
    defaultParts: def.fileParts,
  });
  if (!src.explicit && def.altFileParts && !existsSync(src.path)) {
    const alt = homePath(penv, ...def.altFileParts);
    if (existsSync(alt)) return sourceFile(penv, alt, 'default location', false);
  }
  return src;
}

/** Read and shape-check a JSON profile map; undefined when the default file does not exist. */
async function readProfileMap(src: SourceFile): Promise<Record<string, unknown> | undefined> {
  const text = await readChosenSource(src);
  if (text === undefined) return undefined;
  const data = parseJsonSource(src, text);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new InputError({
      code: ProfileErrorCode.Malformed,
      message: `${src.display}: expected a JSON object mapping profile names to settings, got ${Array.isArray(data) ? 'an array' : data === null ? 'null' : `a ${typeof data}`}`,
      hint: 'the file looks like {"default": {...}, "other": {...}}',
      details: { file: src.path },
    });
  }
  return data as Record<string, unknown>;
}

/** Load one profile of a JSON-file platform. */
export async function loadJsonMapProfile(
  def: JsonMapPlatform,
  sel: ProfileSelection,
  penv: ProfileEnv,
): Promise<Record<string, unknown> & { profile: string; source: string; sourcePath: string }> {
  const label = PLATFORM_LABELS[def.platform];
  const src = chooseJsonFile(def, sel, penv);
  const map = await readProfileMap(src);
  if (map === undefined) {
    throw noCredentialsError(
      label,
      [src.display],
      `create ${src.display} as ${def.example} (chmod 600), or pass --${def.platform}-config-file FILE`,
    );
  }
  for (const v of Object.values(map)) registerRecordSecrets(v, def.fields);
  const profile = sel.profile ?? DEFAULT_PROFILE;
  if (!Object.prototype.hasOwnProperty.call(map, profile)) {
    throw profileNotFoundError(src.display, src.path, profile, Object.keys(map), `--${def.platform}-profile`);
  }
  const check = checkFields(map[profile], def.fields);
  if (!check.value) throw profileInvalidError(src.display, src.path, profile, check.problems, check.missing);
  return { ...check.value, profile, source: src.display, sourcePath: src.path };
}

/** List the profiles of a JSON-file platform; a malformed file becomes an error entry. */
export async function listJsonMapProfiles(
  def: JsonMapPlatform,
  sel: ProfileSelection,
  penv: ProfileEnv,
): Promise<PlatformProfiles> {
  const src = chooseJsonFile(def, sel, penv);
  const out = emptyListing(def.platform, [
    { source: src.display, via: src.via, exists: existsSync(src.path) },
  ]);
  try {
    const map = await readProfileMap(src);
    if (map === undefined) return out;
    const warn = await permissionWarning(src);
    if (warn) out.warnings.push(warn);
    for (const [name, raw] of Object.entries(map)) {
      registerRecordSecrets(raw, def.fields);
      const check = checkFields(raw, def.fields);
      const status: ProfileStatus = {
        name,
        source: src.display,
        usable: check.value !== undefined,
        missing: check.missing,
        problems: check.problems,
        summary: summarizeRecord(raw, def.fields),
      };
      out.profiles.push(status);
    }
  } catch (err) {
    out.errors.push(sourceProblem(src.display, err));
  }
  return out;
}
