import { existsSync } from 'node:fs';
import type { z } from 'zod';
import { zodLib } from '../lazy/libs.js';
import { InputError } from '../errors/mantle-error.js';
import { registerSecret } from '../log/redact.js';
import { noCredentialsError, profileInvalidError, profileNotFoundError, ProfileErrorCode } from './errors.js';
import { checkFields, registerRecordSecrets, summarizeRecord, type FieldSpec } from './fields.js';
import { emptyListing, permissionWarning, sourceProblem } from './listing.js';
import { envValue, expandPath, homePath, type ProfileEnv } from './paths.js';
import { parseJsonSource, readChosenSource, readSource, sourceFile, type SourceFile } from './source.js';
import {
  DEFAULT_PROFILE,
  PLATFORM_LABELS,
  type AzureCredentials,
  type PlatformProfiles,
  type ProfileSelection,
  type ProfileStatus,
} from './types.js';

const field = (key: string, required: boolean, kind: FieldSpec['kind']): FieldSpec => ({
  key,
  prop: key,
  type: 'string',
  required,
  kind,
});

/** The fields of an Azure SDK auth file (what `az ad sp create-for-rbac --sdk-auth` prints). */
export const AZURE_FIELDS: readonly FieldSpec[] = [
  field('clientId', true, 'id'),
  field('clientSecret', true, 'secret'),
  field('tenantId', true, 'id'),
  field('subscriptionId', true, 'id'),
  field('activeDirectoryEndpointUrl', false, 'plain'),
  field('resourceManagerEndpointUrl', false, 'plain'),
  field('activeDirectoryGraphResourceId', false, 'plain'),
  field('managementEndpointUrl', false, 'plain'),
  field('storageEndpointSuffix', false, 'plain'),
];

const ENV_MAP = [
  ['AZURE_CLIENT_ID', 'clientId'],
  ['AZURE_CLIENT_SECRET', 'clientSecret'],
  ['AZURE_TENANT_ID', 'tenantId'],
  ['AZURE_SUBSCRIPTION_ID', 'subscriptionId'],
] as const;

/** azureProfile.json as the Azure CLI writes it (only what mantle reads); built on first use. */
function azureProfileSchema() {
  const z = zodLib();
  return z.looseObject({
    subscriptions: z.array(
      z.looseObject({
        id: z.string().min(1),
        name: z.string(),
        isDefault: z.boolean().optional(),
        environmentName: z.string().optional(),
        managementCertificate: z
          .looseObject({ key: z.string().optional(), cert: z.string().optional() })
          .optional(),
      }),
    ),
    environments: z
      .array(z.looseObject({ name: z.string().optional(), storageEndpointSuffix: z.string().optional() }))
      .optional(),
  });
}
let azureProfileFile: ReturnType<typeof azureProfileSchema> | undefined;
type AzureProfileData = z.infer<ReturnType<typeof azureProfileSchema>>;

interface AzureBase {
  raw: Record<string, unknown>;
  /** display of where it came from */
  source: string;
  src?: SourceFile;
  /** env variables missing from a partial environment set */
  envMissing?: string[];
}

function azureDir(penv: ProfileEnv): string {
  const dir = envValue(penv.env, 'AZURE_CONFIG_DIR');
  return dir ? expandPath(dir, penv) : homePath(penv, '.azure');
}

/** The auth file a selection points at: flag, AZURE_AUTH_LOCATION, else the default when no env credentials are set. */
function chooseAuthFile(sel: ProfileSelection, penv: ProfileEnv): SourceFile {
  if (sel.configFile) return sourceFile(penv, expandPath(sel.configFile, penv), '--azure-config-file', true);
  const loc = envValue(penv.env, 'AZURE_AUTH_LOCATION');
  if (loc) return sourceFile(penv, expandPath(loc, penv), 'AZURE_AUTH_LOCATION', true);
  return sourceFile(penv, `${azureDir(penv)}/credentials.json`, 'default location', false);
}

function envBase(penv: ProfileEnv): AzureBase | undefined {
  const raw: Record<string, unknown> = {};
  for (const [v, key] of ENV_MAP) {
    const val = envValue(penv.env, v);
    if (val !== undefined) raw[key] = val;
  }
  // AZURE_SUBSCRIPTION_ID alone selects a subscription but is no credential.
  if (raw.clientId === undefined && raw.clientSecret === undefined && raw.tenantId === undefined)
    return undefined;
  registerRecordSecrets(raw, AZURE_FIELDS);
  const envMissing = ENV_MAP.slice(0, 3)
    .filter(([, key]) => raw[key] === undefined)
    .map(([v]) => v);
  return { raw, source: 'environment', envMissing };
}

/** Read the service principal: an explicit file, the AZURE_* environment, or ~/.azure/credentials.json. */
async function readBase(
  sel: ProfileSelection,
  penv: ProfileEnv,
): Promise<{ base?: AzureBase; file: SourceFile }> {
  const file = chooseAuthFile(sel, penv);
  if (!file.explicit) {
    const fromEnv = envBase(penv);
    if (fromEnv) return { base: fromEnv, file };
  }
  const text = await readChosenSource(file);
  if (text === undefined) return { file };
  const data = parseJsonSource(file, text);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new InputError({
      code: ProfileErrorCode.Malformed,
      message: `${file.display}: expected a JSON object {clientId, clientSecret, subscriptionId, tenantId, ...}`,
      hint: 'create it with `az ad sp create-for-rbac --sdk-auth`',
      details: { file: file.path },
    });
  }
  registerRecordSecrets(data, AZURE_FIELDS);
  return { base: { raw: data as Record<string, unknown>, source: file.display, src: file }, file };
}

/** Read ~/.azure/azureProfile.json (subscriptions by name); undefined when absent. */
async function readSubscriptions(penv: ProfileEnv): Promise<{ src: SourceFile; data?: AzureProfileData }> {
  const src = sourceFile(penv, `${azureDir(penv)}/azureProfile.json`, 'default location', false);
  const text = await readSource(src);
  if (text === undefined) return { src };
  const parsed = (azureProfileFile ??= azureProfileSchema()).safeParse(parseJsonSource(src, text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue
      ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
      : '';
    throw new InputError({
      code: ProfileErrorCode.Malformed,
      message: `${src.display}: ${path ? `field "${path.replace(/^\./, '')}" ` : ''}${issue?.message ?? 'is not an Azure profile'}`,
      hint: 'recreate it with `az login`, or remove it',
      details: { file: src.path },
    });
  }
  for (const sub of parsed.data.subscriptions) registerSecret(sub.managementCertificate?.key);
  return { src, data: parsed.data };
}

function principalCheck(
  base: AzureBase,
  sel: { subscriptionId?: string | undefined },
): ReturnType<typeof checkFields> {
  const raw = { ...base.raw, ...(sel.subscriptionId ? { subscriptionId: sel.subscriptionId } : {}) };
  return checkFields(raw, AZURE_FIELDS);
}

/**
 * Load an Azure service principal. `profile` `default` is the principal itself (its
 * subscriptionId, or azureProfile.json's default subscription); any other profile name selects a
 * subscription from `~/.azure/azureProfile.json` by name or id, as mantle's `--azure-subscription` did.
 */
export async function loadAzureProfile(sel: ProfileSelection, penv: ProfileEnv): Promise<AzureCredentials> {
  const profile = sel.profile ?? DEFAULT_PROFILE;
  const { base, file } = await readBase(sel, penv);
  if (!base) {
    throw noCredentialsError(
      PLATFORM_LABELS.azure,
      ['AZURE_AUTH_LOCATION', 'AZURE_CLIENT_ID', file.display],
      'set AZURE_AUTH_LOCATION to an SDK auth file (`az ad sp create-for-rbac --sdk-auth`), set AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID, or pass --azure-config-file FILE',
    );
  }
  if (base.envMissing && base.envMissing.length > 0) {
    throw new InputError({
      code: ProfileErrorCode.EnvIncomplete,
      message: `the environment sets some Azure credentials but not ${base.envMissing.join(' and ')}`,
      hint: `set ${base.envMissing.join(' and ')}, or use AZURE_AUTH_LOCATION`,
      details: { missing: base.envMissing },
    });
  }
  let subscriptionId: string | undefined;
  let subscriptionName: string | undefined;
  let storageEndpointSuffix: string | undefined;
  const needSubs = profile !== DEFAULT_PROFILE || base.raw.subscriptionId === undefined;
  if (needSubs) {
    const subs = await readSubscriptions(penv);
    const list = subs.data?.subscriptions ?? [];
    const sub =
      profile === DEFAULT_PROFILE
        ? (list.find((s) => s.isDefault) ?? list[0])
        : list.find((s) => s.name === profile || s.id === profile);
    if (!sub && profile !== DEFAULT_PROFILE) {
      throw profileNotFoundError(
        subs.src.display,
        subs.src.path,
        profile,
        list.map((s) => s.name),
        '--azure-profile',
      );
    }
    if (sub) {
      subscriptionId = sub.id;
      subscriptionName = sub.name;
      storageEndpointSuffix = subs.data?.environments?.find(
        (e) => e.name === sub.environmentName,
      )?.storageEndpointSuffix;
    }
  }
  const check = principalCheck(base, { subscriptionId });
  if (!check.value) {
    if (base.src)
      throw profileInvalidError(base.src.display, base.src.path, profile, check.problems, check.missing);
    throw new InputError({
      code: ProfileErrorCode.EnvIncomplete,
      message: `the Azure environment credentials ${check.problems.join('; ').replace(/field "subscriptionId"/g, 'AZURE_SUBSCRIPTION_ID')}`,
      hint: 'set AZURE_SUBSCRIPTION_ID, or select a subscription from ~/.azure/azureProfile.json with --azure-profile NAME',
      details: { missing: check.missing },
    });
  }
  return {
    storageEndpointSuffix,
    ...(check.value as Omit<AzureCredentials, 'platform' | 'profile' | 'source'>),
    ...(subscriptionName ? { subscriptionName } : {}),
    platform: 'azure',
    profile,
    source: base.source,
    ...(base.src ? { sourcePath: base.src.path } : {}),
  };
}

/** List the Azure principal (file or environment) and the subscriptions of azureProfile.json. */
export async function listAzureProfiles(sel: ProfileSelection, penv: ProfileEnv): Promise<PlatformProfiles> {
  const file = chooseAuthFile(sel, penv);
  const fromEnv = file.explicit ? undefined : envBase(penv);
  const out = emptyListing('azure', []);
  if (!file.explicit)
    out.sources.push({
      source: 'environment (AZURE_CLIENT_ID)',
      via: 'environment',
      exists: fromEnv !== undefined,
    });
  if (!fromEnv) out.sources.push({ source: file.display, via: file.via, exists: existsSync(file.path) });
  let base: AzureBase | undefined;
  try {
    base = (await readBase(sel, penv)).base;
    if (base?.src) {
      const warn = await permissionWarning(base.src);
      if (warn) out.warnings.push(warn);
    }
  } catch (err) {
    out.errors.push(sourceProblem(file.display, err));
  }
  let subs: Awaited<ReturnType<typeof readSubscriptions>> | undefined;
  const subsPath = sourceFile(penv, `${azureDir(penv)}/azureProfile.json`, 'default location', false);
  out.sources.push({ source: subsPath.display, via: subsPath.via, exists: existsSync(subsPath.path) });
  try {
    subs = await readSubscriptions(penv);
  } catch (err) {
    out.errors.push(sourceProblem(subsPath.display, err));
  }
  const list = subs?.data?.subscriptions ?? [];
  if (base) {
    const fallback =
      base.raw.subscriptionId === undefined ? (list.find((s) => s.isDefault) ?? list[0])?.id : undefined;
    out.profiles.push(statusOf(DEFAULT_PROFILE, base.source, base, fallback));
  }
  for (const sub of list) {
    if (!base) {
      const problems = [
        'no service principal: set AZURE_AUTH_LOCATION or AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID',
      ];
      out.profiles.push({
        name: sub.name,
        source: subsPath.display,
        usable: false,
        missing: ['clientId', 'clientSecret', 'tenantId'],
        problems,
        summary: {},
      });
      continue;
    }
    out.profiles.push({ ...statusOf(sub.name, subsPath.display, base, sub.id) });
  }
  return out;
}

function statusOf(
  name: string,
  source: string,
  base: AzureBase,
  subscriptionId: string | undefined,
): ProfileStatus {
  const check = principalCheck(base, { subscriptionId });
  const envProblems = (base.envMissing ?? []).map((v) => `${v} is not set`);
  return {
    name,
    source,
    usable: check.value !== undefined && envProblems.length === 0,
    missing: envProblems.length > 0 ? (base.envMissing ?? []) : check.missing,
    problems: envProblems.length > 0 ? envProblems : check.problems,
    summary: summarizeRecord({ ...base.raw, ...(subscriptionId ? { subscriptionId } : {}) }, AZURE_FIELDS),
  };
}
