import { existsSync } from 'node:fs';
import { InputError } from '../errors/mantle-error.js';
import { registerSecret } from '../log/redact.js';
import { checkFields, registerRecordSecrets, summarizeRecord, type FieldSpec } from './fields.js';
import { noCredentialsError, profileInvalidError, profileNotFoundError, ProfileErrorCode } from './errors.js';
import { parseIniSource, type IniSections } from './ini-source.js';
import { emptyListing, permissionWarning, sourceProblem } from './listing.js';
import { envValue, type ProfileEnv } from './paths.js';
import { chooseFile, readChosenSource, type SourceFile } from './source.js';
import {
  DEFAULT_PROFILE,
  PLATFORM_LABELS,
  type AwsCredentials,
  type PlatformProfiles,
  type ProfileSelection,
} from './types.js';
import { errorMessage } from '../errors/message.js';

/** The settings of an AWS profile that matter to mantle, named as in ~/.aws/credentials and ~/.aws/config. */
export const AWS_FIELDS: readonly FieldSpec[] = [
  { key: 'aws_access_key_id', prop: 'accessKeyId', type: 'string', required: true, kind: 'id' },
  { key: 'aws_secret_access_key', prop: 'secretAccessKey', type: 'string', required: true, kind: 'secret' },
  { key: 'aws_session_token', prop: 'sessionToken', type: 'string', required: false, kind: 'secret' },
  { key: 'region', prop: 'region', type: 'string', required: false, kind: 'plain' },
  { key: 'role_arn', prop: 'roleArn', type: 'string', required: false, kind: 'plain' },
  { key: 'source_profile', prop: 'sourceProfile', type: 'string', required: false, kind: 'plain' },
  { key: 'role_session_name', prop: 'roleSessionName', type: 'string', required: false, kind: 'plain' },
  { key: 'external_id', prop: 'externalId', type: 'string', required: false, kind: 'secret' },
];

// Settings only as far as "is there a key pair at all"; role profiles need none of their own.
const ROLE_FIELDS: readonly FieldSpec[] = AWS_FIELDS.map((f) =>
  f.key === 'aws_access_key_id' || f.key === 'aws_secret_access_key' ? { ...f, required: false } : f,
);

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

/** An AWS profile merged from both files: settings, and the file whose section holds them. */
interface AwsProfileRecord {
  name: string;
  settings: Record<string, unknown>;
  src: SourceFile;
}

interface AwsFiles {
  credentials: SourceFile;
  config: SourceFile;
  credentialSections?: IniSections;
  configSections?: IniSections;
}

function chooseAwsFiles(sel: ProfileSelection, penv: ProfileEnv): Pick<AwsFiles, 'credentials' | 'config'> {
  return {
    credentials: chooseFile(penv, {
      flag: sel.configFile,
      flagName: '--aws-config-file',
      envVar: 'AWS_SHARED_CREDENTIALS_FILE',
      defaultParts: ['.aws', 'credentials'],
    }),
    config: chooseFile(penv, { flagName: '', envVar: 'AWS_CONFIG_FILE', defaultParts: ['.aws', 'config'] }),
  };
}

async function readIni(src: SourceFile): Promise<IniSections | undefined> {
  const text = await readChosenSource(src);
  return text === undefined ? undefined : parseIniSource(src, text);
}

/**
 * Merge both files the way the AWS CLI does: `[NAME]` in credentials, `[profile NAME]` (and
 * `[default]`) in config; a key in credentials wins over the same key in config.
 */
function mergeProfiles(files: AwsFiles): Map<string, AwsProfileRecord> {
  const out = new Map<string, AwsProfileRecord>();
  for (const [section, body] of Object.entries(files.configSections ?? {})) {
    let name: string | undefined;
    if (section === 'default') name = 'default';
    else if (section.startsWith('profile ')) name = section.slice('profile '.length).trim();
    if (!name) continue; // sso-session, services, ... are not profiles
    out.set(name, { name, settings: { ...(out.get(name)?.settings ?? {}), ...body }, src: files.config });
  }
  for (const [name, body] of Object.entries(files.credentialSections ?? {})) {
    out.set(name, {
      name,
      settings: { ...(out.get(name)?.settings ?? {}), ...body },
      src: files.credentials,
    });
  }
  return out;
}

/** Static keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN); partial sets are an error. */
function envKeys(penv: ProfileEnv): { settings: Record<string, string>; missing: string[] } | undefined {
  const id = envValue(penv.env, 'AWS_ACCESS_KEY_ID');
  const secret = envValue(penv.env, 'AWS_SECRET_ACCESS_KEY');
  const token = envValue(penv.env, 'AWS_SESSION_TOKEN');
  if (!id && !secret && !token) return undefined;
  for (const v of [id, secret, token]) registerSecret(v);
  const missing: string[] = [];
  if (!id) missing.push('AWS_ACCESS_KEY_ID');
  if (!secret) missing.push('AWS_SECRET_ACCESS_KEY');
  const settings: Record<string, string> = {};
  if (id) settings.aws_access_key_id = id;
  if (secret) settings.aws_secret_access_key = secret;
  if (token) settings.aws_session_token = token;
  return { settings, missing };
}

function envIncompleteError(missing: string[], penv: ProfileEnv): InputError {
  const set = ENV_KEYS.filter((k) => envValue(penv.env, k));
  return new InputError({
    code: ProfileErrorCode.EnvIncomplete,
    message: `the environment has ${set.join(' and ')} but not ${missing.join(' and ')}`,
    hint: `set ${missing.join(' and ')} too, or unset ${set.join(' and ')} to use a profile from ~/.aws/credentials`,
    details: { set, missing },
  });
}

function envRegion(penv: ProfileEnv): string | undefined {
  return envValue(penv.env, 'AWS_REGION') ?? envValue(penv.env, 'AWS_DEFAULT_REGION');
}

function unsupportedMechanism(settings: Record<string, unknown>): string | undefined {
  if (Object.keys(settings).some((k) => k.startsWith('sso_'))) return 'AWS SSO (sso_* settings)';
  if (settings.credential_process !== undefined) return 'credential_process';
  if (settings.web_identity_token_file !== undefined) return 'web_identity_token_file';
  return undefined;
}

/**
 * Resolve a profile to static keys. A profile with `role_arn` takes its keys from
 * `source_profile` (or the environment with `credential_source = Environment`) and keeps the
 * role for the caller to assume.
 */
function resolveProfile(
  name: string,
  profiles: Map<string, AwsProfileRecord>,
  files: AwsFiles,
  penv: ProfileEnv,
  seen: string[] = [],
): Omit<AwsCredentials, 'platform' | 'profile'> {
  const rec = profiles.get(name);
  const where = files.credentialSections ? files.credentials : files.config;
  if (!rec)
    throw profileNotFoundError(where.display, where.path, name, [...profiles.keys()], '--aws-profile');
  if (seen.includes(name)) {
    throw profileInvalidError(
      rec.src.display,
      rec.src.path,
      name,
      [`has a source_profile loop (${[...seen, name].join(' -> ')})`],
      [],
    );
  }
  const s = rec.settings;
  registerRecordSecrets(s, AWS_FIELDS);
  const hasKeys = s.aws_access_key_id !== undefined || s.aws_secret_access_key !== undefined;
  if (!hasKeys && s.role_arn !== undefined) {
    const check = checkFields(s, ROLE_FIELDS);
    if (!check.value)
      throw profileInvalidError(rec.src.display, rec.src.path, name, check.problems, check.missing);
    const role = check.value as Partial<AwsCredentials>;
    let base: Omit<AwsCredentials, 'platform' | 'profile'>;
    if (typeof s.source_profile === 'string') {
      base = resolveProfile(s.source_profile, profiles, files, penv, [...seen, name]);
    } else if (s.credential_source === 'Environment') {
      const ek = envKeys(penv);
      if (!ek)
        throw profileInvalidError(
          rec.src.display,
          rec.src.path,
          name,
          ['says credential_source = Environment but AWS_ACCESS_KEY_ID is not set'],
          [],
        );
      if (ek.missing.length > 0) throw envIncompleteError(ek.missing, penv);
      base = {
        accessKeyId: ek.settings.aws_access_key_id ?? '',
        secretAccessKey: ek.settings.aws_secret_access_key ?? '',
        source: 'environment',
        ...(ek.settings.aws_session_token ? { sessionToken: ek.settings.aws_session_token } : {}),
      };
    } else {
      throw profileInvalidError(
        rec.src.display,
        rec.src.path,
        name,
        ['has role_arn but neither source_profile nor credential_source = Environment'],
        ['source_profile'],
      );
    }
    return {
      ...base,
      roleArn: role.roleArn,
      sourceProfile:
        base.sourceProfile ?? (typeof s.source_profile === 'string' ? s.source_profile : undefined),
      ...(role.roleSessionName ? { roleSessionName: role.roleSessionName } : {}),
      ...(role.externalId ? { externalId: role.externalId } : {}),
      ...(role.region ? { region: role.region } : {}),
    };
  }
  if (!hasKeys) {
    const how = unsupportedMechanism(s);
    if (how) {
      throw new InputError({
        code: ProfileErrorCode.Unsupported,
        message: `${rec.src.display}: profile "${name}" uses ${how}, which mantle does not resolve`,
        hint: `export static keys first: eval "$(aws configure export-credentials --profile ${name} --format env)"`,
        details: { file: rec.src.path, profile: name },
      });
    }
  }
  const check = checkFields(s, AWS_FIELDS);
  if (!check.value)
    throw profileInvalidError(rec.src.display, rec.src.path, name, check.problems, check.missing);
  return {
    ...(check.value as Partial<AwsCredentials>),
    source: rec.src.display,
    sourcePath: rec.src.path,
  } as Omit<AwsCredentials, 'platform' | 'profile'>;
}

async function readAwsFiles(sel: ProfileSelection, penv: ProfileEnv): Promise<AwsFiles> {
  const files: AwsFiles = chooseAwsFiles(sel, penv);
  const [credentialSections, configSections] = await Promise.all([
    readIni(files.credentials),
    readIni(files.config),
  ]);
  if (credentialSections) files.credentialSections = credentialSections;
  if (configSections) files.configSections = configSections;
  return files;
}

/**
 * Load AWS credentials as the AWS CLI finds them: an explicit profile reads the files; otherwise
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY win, then the profile named by AWS_PROFILE (or
 * `default`). The region comes from AWS_REGION, AWS_DEFAULT_REGION, then the profile.
 */
export async function loadAwsProfile(sel: ProfileSelection, penv: ProfileEnv): Promise<AwsCredentials> {
  const name = sel.profile ?? envValue(penv.env, 'AWS_PROFILE') ?? DEFAULT_PROFILE;
  if (sel.profile === undefined) {
    const ek = envKeys(penv);
    if (ek) {
      if (ek.missing.length > 0) throw envIncompleteError(ek.missing, penv);
      let region = envRegion(penv);
      if (!region) {
        // The profile's region still applies to environment keys; a broken config must not block them.
        try {
          const files = await readAwsFiles(sel, penv);
          const r = mergeProfiles(files).get(name)?.settings.region;
          if (typeof r === 'string') region = r;
        } catch {
          // keep no region
        }
      }
      return {
        platform: 'aws',
        profile: name,
        source: 'environment',
        accessKeyId: ek.settings.aws_access_key_id ?? '',
        secretAccessKey: ek.settings.aws_secret_access_key ?? '',
        ...(ek.settings.aws_session_token ? { sessionToken: ek.settings.aws_session_token } : {}),
        ...(region ? { region } : {}),
      };
    }
  }
  const files = await readAwsFiles(sel, penv);
  if (!files.credentialSections && !files.configSections) {
    throw noCredentialsError(
      PLATFORM_LABELS.aws,
      ['AWS_ACCESS_KEY_ID', files.credentials.display, files.config.display],
      'run `aws configure`, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --aws-config-file FILE',
    );
  }
  const creds = resolveProfile(name, mergeProfiles(files), files, penv);
  const region = envRegion(penv) ?? creds.region;
  return { platform: 'aws', profile: name, ...creds, ...(region ? { region } : {}) };
}

/** List the AWS profiles of both files and the environment. */
export async function listAwsProfiles(sel: ProfileSelection, penv: ProfileEnv): Promise<PlatformProfiles> {
  const chosen = chooseAwsFiles(sel, penv);
  const ek = envKeys(penv);
  const out = emptyListing('aws', [
    { source: 'environment (AWS_ACCESS_KEY_ID)', via: 'environment', exists: ek !== undefined },
    {
      source: chosen.credentials.display,
      via: chosen.credentials.via,
      exists: existsSync(chosen.credentials.path),
    },
    { source: chosen.config.display, via: chosen.config.via, exists: existsSync(chosen.config.path) },
  ]);
  if (ek) {
    out.profiles.push({
      name: `${envValue(penv.env, 'AWS_PROFILE') ?? DEFAULT_PROFILE} (environment)`,
      source: 'environment',
      usable: ek.missing.length === 0,
      missing: ek.missing,
      problems: ek.missing.map((m) => `${m} is not set`),
      summary: summarizeRecord(
        { ...ek.settings, ...(envRegion(penv) ? { region: envRegion(penv) } : {}) },
        AWS_FIELDS,
      ),
    });
  }
  const files: AwsFiles = { ...chosen };
  for (const which of ['credentials', 'config'] as const) {
    const src = files[which];
    try {
      const sections = await readIni(src);
      if (!sections) continue;
      if (which === 'credentials') files.credentialSections = sections;
      else files.configSections = sections;
      const warn = await permissionWarning(src);
      if (warn && which === 'credentials') out.warnings.push(warn);
    } catch (err) {
      out.errors.push(sourceProblem(src.display, err));
    }
  }
  const profiles = mergeProfiles(files);
  for (const rec of profiles.values()) {
    registerRecordSecrets(rec.settings, AWS_FIELDS);
    let usable = true;
    let problems: string[] = [];
    let missing: string[] = [];
    try {
      resolveProfile(rec.name, profiles, files, penv);
    } catch (err) {
      usable = false;
      const d = (err as { details?: Record<string, unknown> }).details ?? {};
      problems = Array.isArray(d.problems) ? (d.problems as string[]) : [errorMessage(err)];
      missing = Array.isArray(d.missing) ? (d.missing as string[]) : [];
    }
    out.profiles.push({
      name: rec.name,
      source: rec.src.display,
      usable,
      missing,
      problems,
      summary: summarizeRecord(rec.settings, AWS_FIELDS),
    });
  }
  return out;
}
