import { mkdir, readFile, rm } from 'node:fs/promises';
import { InterruptedError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { onCleanup } from '@mantle/core/cli';
import { generateKeyPair } from '@mantle/core/ssh';
import { userKeyPath } from '../../run/options.js';
import type { PlatformContext } from '../registry.js';
import type { Cluster, ClusterOptions, Flight, FlightOptions, Machine, MachineOptions } from '../types.js';
import { CloudMachine, clusterTag, type CloudFlightContext } from './machine.js';
import { runTags, type CloudProvider } from './provider.js';
import { RunJournal, kolaStateDir, newRunId, runKeyDir } from './run-journal.js';

interface CloudFlightOptions extends FlightOptions {
  provider: CloudProvider;
  sshRetries: number;
  sshTimeoutSec: number;
  /** machine name prefix (--basename) */
  basename: string;
  /** how long the resources may live before `ore <cloud> gc` may take them (ExpiresAt tag) */
  ttlMs: number;
  /** false (--remove=false): leave the machines up at the end; `kola cleanup RUN` removes them */
  remove: boolean;
  /** public key files to authorize besides the flight's (--key) */
  userPublicKeys?: readonly string[];
  env: NodeJS.ProcessEnv;
  /** the state dir (default kolaStateDir(env)) */
  stateDir?: string;
  now?: Date;
}

/** A cloud flight: its run id and state file, besides the Flight API. */
export interface CloudFlight extends Flight {
  readonly runId: string;
  readonly stateFile: string;
}

/** The cloud flight of a `kola run -p <cloud>` on a provider: the run's flags applied. */
export async function platformCloudFlight(
  ctx: PlatformContext,
  provider: CloudProvider,
): Promise<CloudFlight> {
  const userKey = userKeyPath(ctx.run);
  return createCloudFlight({
    provider,
    outputDir: ctx.outputDir,
    logger: ctx.logger,
    signal: ctx.signal,
    env: ctx.env,
    sshRetries: ctx.run.sshRetries,
    sshTimeoutSec: ctx.run.sshTimeoutSec,
    basename: ctx.run.basename,
    ttlMs: ctx.run.cloudTtlMs,
    remove: ctx.run.remove,
    userPublicKeys: await readPublicKeys(userKey ? [userKey] : []),
  });
}

/**
 * Create a cloud flight: check everything the provider can check (nothing is created before),
 * make the flight's SSH key, start the run's state file, create the shared resources. From the
 * state file's first line on, an interrupt or a crash leaves a record `kola cleanup` acts on;
 * Ctrl-C deletes what exists (the CLI then exits 130).
 */
async function createCloudFlight(o: CloudFlightOptions): Promise<CloudFlight> {
  const logger = o.logger.child(o.provider.platform);
  await o.provider.prepare(o.signal);
  if (o.signal?.aborted) throw new InterruptedError('abort signal');

  const now = o.now ?? new Date();
  const runId = newRunId(now);
  const journal = await RunJournal.create(o.stateDir ?? kolaStateDir(o.env), {
    runId,
    platform: o.provider.platform,
    scope: o.provider.scope,
    startedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + o.ttlMs).toISOString(),
    outputDir: o.outputDir,
  });
  logger.info(`run ${runId}: state file ${journal.path}`);
  // The key beside the state file (0700 dir, 0600 key): a killed run leaves it where
  // `kola cleanup RUN` removes it, never in /tmp.
  const keyDir = runKeyDir(journal.path);
  let key: Awaited<ReturnType<typeof generateKeyPair>>;
  try {
    key = await generateKeyPair({ dir: keyDir, name: 'id_ed25519', comment: 'kola@mantle' });
  } catch (err) {
    await journal.finish().catch(() => undefined);
    await journal.close().catch(() => undefined);
    await rm(keyDir, { recursive: true, force: true });
    throw err;
  }
  const tags = runTags(runId, now, o.ttlMs);
  const ctx: CloudFlightContext = {
    provider: o.provider,
    journal,
    logger,
    privateKeyPath: key.privateKeyPath,
    publicKeys: [key.publicKey, ...(o.userPublicKeys ?? [])],
    sshRetries: o.sshRetries,
    sshTimeoutSec: o.sshTimeoutSec,
    tags,
    env: o.env,
    fatal: undefined,
    instanceIds: new Set(),
  };
  const flight = new GenericCloudFlight(ctx, o, runId, keyDir);
  try {
    await o.provider.setupFlight({ journal, runId, publicKey: key.publicKey, tags, signal: o.signal });
  } catch (err) {
    await flight.destroy();
    throw err;
  }
  return flight;
}

class GenericCloudFlight implements CloudFlight {
  readonly platform: string;
  readonly stateFile: string;
  private readonly clusters = new Set<CloudCluster>();
  private destroying: Promise<void> | undefined;
  private readonly unregister: () => void;
  private seq = 0;
  private clusterSeq = 0;
  private readonly log: Logger;

  constructor(
    private readonly ctx: CloudFlightContext,
    private readonly o: CloudFlightOptions,
    readonly runId: string,
    /** the run's key directory, removed when the flight is */
    private readonly keyDir: string,
  ) {
    this.platform = ctx.provider.platform;
    this.stateFile = ctx.journal.path;
    this.log = ctx.logger;
    // Ctrl-C and every other exit: delete what exists (--remove=false keeps it, on record).
    this.unregister = o.remove
      ? onCleanup(() => this.destroy(), `${this.platform} flight ${runId}`)
      : () => {};
  }

  /** the next machine name: `<basename>-<run suffix>-<n>`, cloud-safe */
  nextName(): string {
    this.seq++;
    return `${this.o.basename.toLowerCase()}-${this.runId.slice(-6)}-${this.seq}`;
  }

  async newCluster(opts: ClusterOptions): Promise<Cluster> {
    if (this.destroying) throw new InterruptedError('flight destroyed');
    await mkdir(opts.outputDir, { recursive: true });
    const tag = `${clusterTag(opts.name).slice(0, 50)}-${this.runId.slice(-6)}-${++this.clusterSeq}`;
    const c = new CloudCluster(
      this.ctx,
      opts,
      tag,
      () => this.nextName(),
      (gone) => this.clusters.delete(gone),
    );
    this.clusters.add(c);
    return c;
  }

  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  private async teardown(): Promise<void> {
    const { journal, provider } = this.ctx;
    try {
      if (!this.o.remove) {
        this.log.info(
          `--remove=false: run ${this.runId} keeps its machines (SSH key ${this.keyDir}/id_ed25519); \`kola cleanup ${this.runId}\` deletes them and the key`,
        );
        return;
      }
      await Promise.allSettled([...this.clusters].map((c) => c.destroy()));
      try {
        // Never the run's signal: after Ctrl-C the teardown is exactly what must finish.
        await provider.teardownFlight({ journal, instanceIds: [...this.ctx.instanceIds] });
        await journal.finish();
        this.log.debug(`run ${this.runId}: everything deleted`);
      } catch (err) {
        this.log.warn(
          `run ${this.runId} may have left resources (${String(err)}); \`kola cleanup ${this.runId}\` deletes them`,
        );
      }
    } finally {
      await journal.close().catch(() => undefined);
      provider.close();
      // kept machines keep their key (kola cleanup removes both)
      if (this.o.remove) await rm(this.keyDir, { recursive: true, force: true });
      this.unregister();
    }
  }
}

class CloudCluster implements Cluster {
  readonly name: string;
  private readonly live: CloudMachine[] = [];
  private readonly all = new Set<CloudMachine>();
  private destroying: Promise<void> | undefined;

  constructor(
    private readonly ctx: CloudFlightContext,
    private readonly opts: ClusterOptions,
    private readonly tag: string,
    private readonly nextName: () => string,
    private readonly onDestroyed: (c: CloudCluster) => void,
  ) {
    this.name = opts.name;
  }

  get machines(): readonly Machine[] {
    return [...this.live];
  }

  async newMachine(userData?: string, opts: MachineOptions = {}): Promise<Machine> {
    if (this.destroying) throw new InterruptedError('cluster destroyed');
    const m = new CloudMachine(this.nextName(), this.ctx, {
      name: this.name,
      tag: this.tag,
      outputDir: this.opts.outputDir,
      signal: this.opts.signal,
    });
    this.all.add(m);
    try {
      await m.boot(userData, opts.ignition);
    } catch (err) {
      await m.destroy().catch((e: unknown) => this.ctx.logger.warn(`deleting ${m.id} failed: ${String(e)}`));
      this.all.delete(m);
      throw err;
    }
    this.live.push(m);
    return m;
  }

  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      const results = await Promise.allSettled([...this.all].map((m) => m.destroy()));
      for (const r of results)
        if (r.status === 'rejected')
          this.ctx.logger.warn(`deleting a machine of ${this.name} failed: ${String(r.reason)}`);
      this.onDestroyed(this);
    })();
    return this.destroying;
  }
}

/** `--key` files (public keys, or private keys with a .pub beside them) as authorized_keys lines. */
async function readPublicKeys(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const file = p.endsWith('.pub') ? p : `${p}.pub`;
    const text = await readFile(file, 'utf8').catch(() => readFile(p, 'utf8'));
    out.push(
      ...text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^(ssh-|ecdsa-|sk-)\S+ \S+/.test(l)),
    );
  }
  return out;
}
