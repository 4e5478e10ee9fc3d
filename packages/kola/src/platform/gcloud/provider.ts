import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { InputError, InterruptedError } from '@mantle/core/errors';
import { loadProfile } from '@mantle/core/profiles';
import type { GceClients, GceServiceAccountKey } from '@mantle/ore';
import type {
  CleanupResult,
  CloudCleaner,
  CloudContext,
  CloudProvider,
  FlightSetup,
  InstanceSpec,
  Ore,
  RunningInstance,
} from '../cloud/provider.js';
import { requireImage } from '../cloud/provider.js';
import type { RunHeader } from '../cloud/run-journal.js';

// kola's gcloud platform (mantle's `gce`): machines are Compute Engine instances made through
// ore's GCE layer, the Ignition config in the `user-data` metadata item (what Flatcar's GCE
// Ignition provider reads). ore (and the Google client with it) is imported when the platform is
// used, never for `kola --help` or qemu runs. The project's network must let SSH in (GCE's
// default network does); kola creates no firewall rules.

/** `--gce-*` flags. */
export interface GcePlatformOptions {
  /** --gce-image: NAME (in the project), family/F, projects/P/global/images/NAME or a URL */
  image?: string | undefined;
  /** --gce-machinetype (mantle's default n1-standard-1) */
  machineType: string;
  /** --gce-project (default: the key's project_id) */
  project?: string | undefined;
  /** --gce-zone (default us-central1-a) */
  zone: string;
  /** --gce-json-key (default GOOGLE_APPLICATION_CREDENTIALS, else gcloud's ADC file) */
  jsonKey?: string | undefined;
  /** --gce-disk-size in GB (default ore's 16) */
  diskSizeGb?: number | undefined;
  diskType: string;
  network: string;
  gvnic: boolean;
}

async function openClients(
  ore: Ore,
  o: Pick<GcePlatformOptions, 'project' | 'jsonKey' | 'zone'>,
  ctx: CloudContext,
): Promise<{ gce: GceClients; keyFile: string }> {
  ore.checkZoneName(o.zone, '--gce-zone');
  const key = await loadProfile('gce', {
    ...(o.jsonKey ? { configFile: o.jsonKey } : {}),
    env: ctx.env,
    cwd: ctx.cwd,
  });
  const endpoint = ore.gceEndpointFromEnv(ctx.env);
  const gce = ore.gceClients({
    projectId: o.project ?? key.projectId,
    credentials: key.json as GceServiceAccountKey,
    profile: key.source,
    ...(endpoint ? { endpoint } : {}),
    logger: ctx.logger,
  });
  return { gce, keyFile: key.sourcePath ?? '' };
}

/** The gcloud platform's provider for the generic cloud flight. */
export async function gcloudProvider(o: GcePlatformOptions, ctx: CloudContext): Promise<CloudProvider> {
  const image = requireImage(o.image, {
    code: 'GCE_NO_IMAGE',
    platform: 'gcloud',
    flag: '--gce-image',
    what: 'the image to boot',
    hint: 'upload one with `ore gcloud upload` and `ore gcloud create-image` (or pass NAME, family/F or projects/P/global/images/NAME)',
  });
  const ore = await import('@mantle/ore');
  const { gce, keyFile } = await openClients(ore, o, ctx);
  return new GcloudProvider(ore, gce, { ...o, image }, keyFile);
}

/**
 * Run tags (AWS spelling, ISO dates) as GCE labels: keys lower-case with dashes, values lower-case
 * letters, digits, `-` and `_` of at most 63 characters, so dates become Unix seconds.
 */
export function gceLabels(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    if (k === 'Name') continue; // an instance's name is its name
    const key = k
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .slice(0, 63);
    const date = /^\d{4}-\d\d-\d\dT/.test(v) ? Date.parse(v) : NaN;
    out[key] = Number.isNaN(date)
      ? v
          .toLowerCase()
          .replace(/[^a-z0-9_-]+/g, '-')
          .slice(0, 63)
      : String(Math.floor(date / 1000));
  }
  return out;
}

/** The label a run's instances carry, by which cleanup and gc find them. */
const RUN_LABEL = 'kola-run-id';

class GcloudProvider implements CloudProvider {
  readonly platform = 'gcloud';
  readonly scope: Record<string, string>;
  private sshKeys: string[] = [];

  constructor(
    private readonly ore: Ore,
    private readonly gce: GceClients,
    private readonly o: GcePlatformOptions & { image: string },
    keyFile: string,
  ) {
    // the key file, so `kola cleanup` finds the same credentials without flags
    this.scope = { project: gce.projectId, zone: o.zone, key: keyFile };
  }

  async prepare(): Promise<void> {
    const { ore, gce, o } = this;
    await ore.checkGceZoneKnown(gce, o.zone, '--gce-zone');
    // A bare name is an image of the project: check it now. Other forms are checked by the insert.
    if (/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/.test(o.image) && !(await ore.getGceImage(gce, o.image))) {
      throw new InputError({
        code: 'GCE_IMAGE_NOT_FOUND',
        message: `--gce-image ${o.image}: no such image in project ${gce.projectId}`,
        hint: 'list the images with `ore gcloud list-images`, or name another project: projects/P/global/images/NAME',
        details: { flag: '--gce-image', value: o.image, project: gce.projectId },
      });
    }
  }

  setupFlight(s: FlightSetup): Promise<void> {
    // Besides Ignition, the flight's key goes into the ssh-keys metadata item, as mantle does.
    this.sshKeys = [`core:${s.publicKey}`];
    return Promise.resolve();
  }

  async createInstance(spec: InstanceSpec): Promise<string> {
    const { o } = this;
    const i = await this.ore.createGceInstance(this.gce, {
      zone: o.zone,
      image: o.image,
      name: spec.name,
      machineType: o.machineType,
      diskType: o.diskType,
      ...(o.diskSizeGb ? { diskSizeGb: o.diskSizeGb } : {}),
      network: o.network,
      gvnic: o.gvnic,
      userData: spec.userData,
      sshKeys: this.sshKeys,
      labels: gceLabels(spec.tags),
    });
    return i.name;
  }

  async waitRunning(id: string, signal: AbortSignal | undefined): Promise<RunningInstance> {
    const wait = this.ore.waitGceInstanceRunning(this.gce, this.o.zone, id);
    const i = signal ? await abortable(wait, signal) : await wait;
    return { publicIp: i.externalIp, privateIp: i.internalIp, tags: i.labels };
  }

  async consoleOutput(id: string): Promise<string> {
    return (await this.ore.gceInstanceConsole(this.gce, this.o.zone, id, 0)).contents;
  }

  async deleteInstance(id: string): Promise<void> {
    // waits for the delete operation: the journal's `deleted` line means gone
    await this.ore.deleteGceInstance(this.gce, this.o.zone, id);
  }

  teardownFlight(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    void this.gce.destroy();
  }
}

/** The promise, or an InterruptedError once the signal aborts (the promise is left to settle). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new InterruptedError('abort signal'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new InterruptedError('abort signal'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** `kola cleanup` for a gcloud run: project and zone from its state file, the key from the flag or the run's. */
export async function gcloudCleaner(
  header: RunHeader,
  o: Pick<GcePlatformOptions, 'jsonKey'>,
  ctx: CloudContext,
): Promise<CloudCleaner> {
  const ore = await import('@mantle/ore');
  const zone = header.scope.zone ?? '';
  const { gce } = await openClients(
    ore,
    { project: header.scope.project, zone, jsonKey: o.jsonKey ?? runKeyFile(header) },
    ctx,
  );
  return {
    close: () => void gce.destroy(),
    cleanup: async ({ resources, logger }): Promise<CleanupResult> => {
      // By the ids (names) it wrote and by the run's label (covers a create whose answer never came).
      const named = resources
        .filter((r) => r.kind === 'instance' && r.state !== 'deleted')
        .map((r) => r.id ?? r.name);
      const labelled = (await ore.listGceInstances(gce, zone, { labels: { [RUN_LABEL]: header.runId } })).map(
        (i) => i.name,
      );
      const deleted: { kind: string; id: string }[] = [];
      for (const name of [...new Set([...named, ...labelled])]) {
        if (await ore.deleteGceInstance(gce, zone, name, { logger }))
          deleted.push({ kind: 'instance', id: name });
      }
      return { deleted };
    },
  };
}

/** The key file the run used, while it still exists (else the environment's default is used). */
function runKeyFile(header: RunHeader): string | undefined {
  const k = header.scope.key;
  return k && isAbsolute(k) && existsSync(k) ? k : undefined;
}
