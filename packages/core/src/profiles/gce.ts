import { existsSync } from 'node:fs';
import { InputError } from '../errors/mantle-error.js';
import { noCredentialsError, profileInvalidError, ProfileErrorCode } from './errors.js';
import {
  checkFields,
  registerRecordSecrets,
  summarizeRecord,
  type FieldCheck,
  type FieldSpec,
} from './fields.js';
import { emptyListing, permissionWarning, sourceProblem } from './listing.js';
import type { ProfileEnv } from './paths.js';
import { chooseFile, parseJsonSource, readChosenSource, type SourceFile } from './source.js';
import {
  DEFAULT_PROFILE,
  PLATFORM_LABELS,
  type GceCredentials,
  type PlatformProfiles,
  type ProfileSelection,
} from './types.js';

/** The fields of a Google service-account JSON key that mantle needs. */
export const GCE_FIELDS: readonly FieldSpec[] = [
  { key: 'type', prop: 'type', type: 'string', required: true, kind: 'plain' },
  { key: 'project_id', prop: 'projectId', type: 'string', required: true, kind: 'plain' },
  { key: 'client_email', prop: 'clientEmail', type: 'string', required: true, kind: 'plain' },
  { key: 'private_key', prop: 'privateKey', type: 'string', required: true, kind: 'secret' },
  { key: 'private_key_id', prop: 'privateKeyId', type: 'string', required: false, kind: 'id' },
  { key: 'client_id', prop: 'clientId', type: 'string', required: false, kind: 'plain' },
  { key: 'token_uri', prop: 'tokenUri', type: 'string', required: false, kind: 'plain' },
];

// gcloud's own login (`gcloud auth application-default login`); only a service-account key there works.
const ADC_PARTS = ['.config', 'gcloud', 'application_default_credentials.json'];

/** The key file: --gce-json-key/--gce-config-file, GOOGLE_APPLICATION_CREDENTIALS, else gcloud's ADC file. */
function chooseKeyFile(sel: ProfileSelection, penv: ProfileEnv): SourceFile {
  return chooseFile(penv, {
    flag: sel.configFile,
    flagName: '--gce-json-key',
    envVar: 'GOOGLE_APPLICATION_CREDENTIALS',
    defaultParts: ADC_PARTS,
  });
}

/** Check a parsed key: the common field checks plus the things only a service-account key has. */
function checkServiceAccountKey(raw: unknown): FieldCheck {
  const check = checkFields(raw, GCE_FIELDS);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return check;
  const rec = raw as Record<string, unknown>;
  const extra: string[] = [];
  if (typeof rec.type === 'string' && rec.type !== 'service_account') {
    // `type` names a kind of file, not a secret, so it may be quoted
    extra.push(
      `field "type" must be "service_account", got "${rec.type.slice(0, 40)}" (a service-account key is needed)`,
    );
  }
  if (
    typeof rec.private_key === 'string' &&
    rec.private_key !== '' &&
    !/-----BEGIN (RSA )?PRIVATE KEY-----/.test(rec.private_key)
  ) {
    extra.push('field "private_key" is not a PEM private key');
  }
  if (typeof rec.client_email === 'string' && rec.client_email !== '' && !rec.client_email.includes('@')) {
    extra.push('field "client_email" is not an e-mail address');
  }
  if (extra.length === 0) return check;
  return { missing: check.missing, problems: [...check.problems, ...extra] };
}

/** The parsed key file; undefined when gcloud's default file does not exist. */
async function readKey(src: SourceFile): Promise<unknown> {
  const text = await readChosenSource(src);
  if (text === undefined) return undefined;
  const data = parseJsonSource(src, text);
  registerRecordSecrets(data, GCE_FIELDS);
  return data;
}

/** Load a GCE service-account key. GCE has one key per file, so the only profile is `default`. */
export async function loadGceProfile(sel: ProfileSelection, penv: ProfileEnv): Promise<GceCredentials> {
  const src = chooseKeyFile(sel, penv);
  const profile = sel.profile ?? DEFAULT_PROFILE;
  if (profile !== DEFAULT_PROFILE) {
    throw new InputError({
      code: ProfileErrorCode.NotFound,
      message: `GCE credentials are one service-account key file; there is no profile "${profile}"`,
      hint: 'select the key file with --gce-json-key FILE instead',
      details: { profile },
    });
  }
  const data = await readKey(src);
  if (data === undefined) {
    throw noCredentialsError(
      PLATFORM_LABELS.gce,
      ['GOOGLE_APPLICATION_CREDENTIALS', src.display],
      'pass --gce-json-key FILE or set GOOGLE_APPLICATION_CREDENTIALS to a service-account JSON key',
    );
  }
  const check = checkServiceAccountKey(data);
  if (!check.value || check.problems.length > 0)
    throw profileInvalidError(src.display, src.path, profile, check.problems, check.missing);
  const v = check.value as Record<string, string>;
  return {
    platform: 'gce',
    profile,
    source: src.display,
    sourcePath: src.path,
    keyFile: src.path,
    projectId: v.projectId ?? '',
    clientEmail: v.clientEmail ?? '',
    privateKey: v.privateKey ?? '',
    ...(v.privateKeyId ? { privateKeyId: v.privateKeyId } : {}),
    ...(v.clientId ? { clientId: v.clientId } : {}),
    ...(v.tokenUri ? { tokenUri: v.tokenUri } : {}),
    json: data as Record<string, unknown>,
  };
}

/** List the GCE key (one profile, `default`). */
export async function listGceProfiles(sel: ProfileSelection, penv: ProfileEnv): Promise<PlatformProfiles> {
  const src = chooseKeyFile(sel, penv);
  const out = emptyListing('gce', [{ source: src.display, via: src.via, exists: existsSync(src.path) }]);
  try {
    const data = await readKey(src);
    if (data === undefined) return out;
    const warn = await permissionWarning(src);
    if (warn) out.warnings.push(warn);
    const check = checkServiceAccountKey(data);
    out.profiles.push({
      name: DEFAULT_PROFILE,
      source: src.display,
      usable: check.value !== undefined && check.problems.length === 0,
      missing: check.missing,
      problems: check.problems,
      summary: summarizeRecord(data, GCE_FIELDS),
    });
  } catch (err) {
    out.errors.push(sourceProblem(src.display, err));
  }
  return out;
}
