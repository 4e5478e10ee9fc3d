import type { Argv } from 'yargs';
import { InputError } from '@mantle/core/errors';
import type { CommandContext } from '@mantle/core/cli';
import { addProfileOptions, loadProfile, profileSelectionFromArgs } from '@mantle/core/profiles';
import type { DryRun } from '../cloud/dry-run.js';
import type { GceClients, GceServiceAccountKey } from '../gce/clients.js';
import type { ObjectStore } from '../storage/types.js';
import { dryRunOption } from './dry-run-option.js';

/** The flags every `ore gcloud` command takes, as `run` sees them. */
export interface GceCommonArgs {
  project?: string | undefined;
  zone: string;
  dryRun?: boolean;
}

/** Add --project, --zone, --dry-run and --gce-json-key (--gce-config-file). */
export function gceCommonOptions<T>(y: Argv<T>) {
  return addProfileOptions(
    y
      .option('project', {
        type: 'string',
        describe: "GCE project (default: the key's project_id)",
      })
      .option('zone', {
        alias: 'region',
        type: 'string',
        default: 'us-central1-a',
        describe: 'GCE zone (of instances: gc)',
      })
      .option('dry-run', dryRunOption),
    ['gce'],
  );
}

/**
 * The Compute clients for a command: the service-account key of the selected file, the project
 * (flag, else the key's), the endpoint override CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE. A dry
 * run without a key uses the project flag (or a placeholder).
 */
export async function openGce(args: GceCommonArgs, ctx: CommandContext, dry?: DryRun): Promise<GceClients> {
  const { gceClients, gceEndpointFromEnv, checkZoneName } = await import('../gce/clients.js');
  checkZoneName(args.zone);
  const sel = profileSelectionFromArgs(args as unknown as Record<string, unknown>, 'gce');
  let key: { projectId: string; json: Record<string, unknown>; source: string } | undefined;
  try {
    const c = await loadProfile('gce', { ...sel, env: ctx.env, cwd: ctx.cwd });
    key = { projectId: c.projectId, json: c.json, source: c.source };
  } catch (err) {
    if (!dry) throw err;
  }
  const projectId = args.project ?? key?.projectId ?? 'dry-run-project';
  checkProjectName(projectId);
  const endpoint = gceEndpointFromEnv(ctx.env);
  return gceClients({
    projectId,
    ...(key ? { credentials: key.json as GceServiceAccountKey } : {}),
    profile: key?.source ?? 'default',
    ...(endpoint ? { endpoint } : {}),
    logger: ctx.logger,
    signal: ctx.signal,
    ...(dry ? { dryRun: dry } : {}),
  });
}

/** A project id as Google allows them (6-30 of a-z 0-9 -, starting with a letter). */
function checkProjectName(project: string): void {
  if (/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(project)) return;
  throw new InputError({
    code: 'GCE_BAD_PROJECT',
    message: `--project ${JSON.stringify(project)} is not a GCE project id`,
    hint: 'a project id is 6 to 30 lower-case letters, digits and -, starting with a letter',
    details: { flag: '--project', value: project },
  });
}

/**
 * The GCS store of `gs://bucket/prefix/` with the key's credentials;
 * CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE (gcloud's variable, e.g.
 * http://127.0.0.1:4443/storage/v1/) points it elsewhere, unauthenticated, as the SDK does for custom
 * endpoints. (The SDK's own STORAGE_EMULATOR_HOST changes its URL layout and is left alone.)
 */
export async function openGcsBucket(url: string, gce: GceClients, ctx: CommandContext): Promise<ObjectStore> {
  if (!/^gs:\/\/[a-z0-9][-_.a-z0-9]{1,221}[a-z0-9](\/.*)?$/.test(url))
    throw new InputError({
      code: 'GCE_BAD_BUCKET',
      message: `--bucket ${JSON.stringify(url)} is not a gs:// URL`,
      hint: 'write it as gs://bucket/prefix/',
      details: { flag: '--bucket', value: url },
    });
  const { openStore } = await import('../storage/open-store.js');
  const override = ctx.env.CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE;
  const endpoint = override ? override.replace(/\/storage\/v1\/?$/, '').replace(/\/+$/, '') : undefined;
  const creds = gce.options.credentials;
  return openStore(url.endsWith('/') ? url : `${url}/`, {
    logger: ctx.logger,
    env: ctx.env,
    gcs: {
      projectId: gce.projectId,
      ...(endpoint ? { apiEndpoint: endpoint } : {}),
      ...(creds && !endpoint
        ? { credentials: { client_email: creds.client_email, private_key: creds.private_key } }
        : {}),
    },
  });
}
