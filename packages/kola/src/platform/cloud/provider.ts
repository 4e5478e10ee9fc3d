import { UsageError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import type { JournalResource, RunHeader, RunJournal } from './run-journal.js';

/** What a cloud platform's provider and cleaner are made with: process state, no flags. */
export interface CloudContext {
  env: NodeJS.ProcessEnv;
  /** the caller's directory (relative credential file paths) */
  cwd: string;
  logger: Logger;
}

/** The image flag's value, or the UsageError (exit 2) that says the cloud needs one and how to get it. */
export function requireImage(
  value: string | undefined,
  o: { code: string; platform: string; flag: string; what: string; hint: string },
): string {
  if (value) return value;
  throw new UsageError({
    code: o.code,
    message: `-p ${o.platform} needs ${o.flag}: ${o.what}`,
    hint: o.hint,
    details: { flag: o.flag },
  });
}

/** ore, imported when a cloud platform is used (never for `kola --help` or qemu runs). */
export type Ore = typeof import('@mantle/ore');

/**
 * What a cloud (aws, gcloud, azure) supplies to kola's generic cloud platform: creating,
 * watching and deleting instances and the flight's shared resources through ore's per-cloud
 * layer. The generic part (cloud/flight.ts, cloud/machine.ts) does the rest the same way for
 * every cloud: Ignition, the state file, SSH, readiness, console.txt, teardown and Ctrl-C.
 */
export interface CloudProvider {
  /** `aws`, `gcloud`, `azure` */
  readonly platform: string;
  /** where the run's resources live (region, project and zone, location; the profile) for the state file */
  readonly scope: Record<string, string>;
  /**
   * Check everything that can be wrong before anything is created: credentials (exit 3), the
   * region/zone, the image and the instance type (exit 2).
   */
  prepare(signal: AbortSignal | undefined): Promise<void>;
  /** Create the flight's shared resources (key pair, firewall/security group, network), each through the journal. */
  setupFlight(o: FlightSetup): Promise<void>;
  /** Create one instance (through the journal); resolves with the cloud's id. */
  createInstance(o: InstanceSpec): Promise<string>;
  /** Wait until the instance runs; its addresses and tags. */
  waitRunning(id: string, signal: AbortSignal | undefined): Promise<RunningInstance>;
  /** The console (serial port, boot diagnostics) as far as the cloud has it. */
  consoleOutput(id: string): Promise<string>;
  /** Delete an instance (without waiting for it to be gone). */
  deleteInstance(id: string): Promise<void>;
  /** Wait for the instances to be gone, then delete the flight's shared resources (through the journal). */
  teardownFlight(o: {
    journal: RunJournal;
    instanceIds: string[];
    signal?: AbortSignal | undefined;
  }): Promise<void>;
  /** Release clients. */
  close(): void;
}

export interface FlightSetup {
  journal: RunJournal;
  runId: string;
  /** the flight's SSH public key (authorized by Ignition too) */
  publicKey: string;
  /** tags every resource carries (CreatedBy, run id, CreatedAt, ExpiresAt) */
  tags: Record<string, string>;
  signal?: AbortSignal | undefined;
}

export interface InstanceSpec {
  journal: RunJournal;
  /** a name unique within the run (cloud-safe: lowercase letters, digits, dashes) */
  name: string;
  /** the cluster's name, so a cloud can put a cluster's machines on one network */
  cluster: string;
  /** the rendered Ignition config */
  userData: string;
  tags: Record<string, string>;
}

export interface RunningInstance {
  publicIp: string | undefined;
  privateIp: string | undefined;
  tags: Record<string, string>;
}

/** Deletes what a run left behind (kola cleanup): by the ids in its state file and by its run tag. */
export interface CloudCleaner {
  cleanup(o: {
    header: RunHeader;
    resources: readonly JournalResource[];
    logger: Logger;
    signal?: AbortSignal | undefined;
  }): Promise<CleanupResult>;
  close(): void;
}

/** What a cleanup deleted, by kind. */
export interface CleanupResult {
  deleted: { kind: string; id: string }[];
}

/** The tags every cloud resource of a run carries (AWS spelling; GCE/Azure map them to labels). */
export function runTags(runId: string, startedAt: Date, ttlMs: number): Record<string, string> {
  return {
    CreatedBy: 'mantle',
    KolaRunId: runId,
    CreatedAt: startedAt.toISOString(),
    ExpiresAt: new Date(startedAt.getTime() + ttlMs).toISOString(),
  };
}
