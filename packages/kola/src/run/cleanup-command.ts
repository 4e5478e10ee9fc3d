import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, OperationError } from '@mantle/core/errors';
import type { CommandContext } from '@mantle/core/cli';
import { cleanerFor } from '../platform/cloud/cleaners.js';
import {
  RunJournal,
  isRunId,
  kolaStateDir,
  listRunStates,
  readRunState,
  runIsLive,
  runKeyDir,
  runsDir,
  type RunState,
} from '../platform/cloud/run-journal.js';

export interface CleanupOptions {
  /** a run id, or the path of a state file; none: every unfinished run whose kola is gone */
  run?: string | undefined;
  /** only list the runs */
  list: boolean;
  /** clean a run even though its kola still seems to run */
  force: boolean;
  awsProfile?: string | undefined;
  awsConfigFile?: string | undefined;
  gceJsonKey?: string | undefined;
  azureProfile?: string | undefined;
  azureConfigFile?: string | undefined;
}

/** One run as `kola cleanup --list` shows it. */
interface RunSummary {
  runId: string;
  platform: string;
  scope: Record<string, string>;
  startedAt: string;
  expiresAt: string;
  finished: boolean;
  live: boolean;
  /** resources that may still exist (created or only intended) */
  open: { kind: string; name: string; id: string | undefined }[];
  path: string;
}

export interface CleanupResultData {
  runs: { runId: string; platform: string; deleted: { kind: string; id: string }[] }[];
  /** --list */
  list?: RunSummary[];
}

function summary(s: RunState): RunSummary {
  return {
    runId: s.header.runId,
    platform: s.header.platform,
    scope: s.header.scope,
    startedAt: s.header.startedAt,
    expiresAt: s.header.expiresAt,
    finished: s.finished,
    live: !s.finished && runIsLive(s.header),
    open: s.resources
      .filter((r) => r.state !== 'deleted')
      .map((r) => ({ kind: r.kind, name: r.name, id: r.id })),
    path: s.path,
  };
}

/**
 * `kola cleanup [RUN]`: delete exactly what a cloud run created — the ids in its state file and
 * whatever carries its KolaRunId tag (a create whose answer never came back) — then mark the
 * state file finished. A run whose kola still runs is left alone unless --force.
 */
export async function cleanupCommand(o: CleanupOptions, ctx: CommandContext): Promise<CleanupResultData> {
  const stateDir = kolaStateDir(ctx.env);
  if (o.list) {
    const all = await listRunStates(stateDir);
    for (const e of all) if ('error' in e) ctx.logger.warn(`${e.path}: ${e.error.message}`);
    return { runs: [], list: all.filter((e): e is RunState => !('error' in e)).map(summary) };
  }
  let targets: RunState[];
  if (o.run !== undefined) {
    const path =
      o.run.includes('/') || o.run.endsWith('.jsonl')
        ? join(ctx.cwd, o.run)
        : isRunId(o.run)
          ? join(runsDir(stateDir), `${o.run}.jsonl`)
          : undefined;
    if (!path) {
      throw new InputError({
        code: 'KOLA_BAD_RUN_ID',
        message: `${o.run} is not a kola run id (kola-YYYYMMDD-HHMM-xxxxxx) nor a state file path`,
        hint: 'list the runs with `kola cleanup --list`',
        details: { run: o.run },
      });
    }
    const s = await readRunState(path, isRunId(o.run) ? o.run : undefined);
    if (!s.finished && runIsLive(s.header) && !o.force) {
      throw new InputError({
        code: 'KOLA_RUN_LIVE',
        message: `run ${s.header.runId} is still running (pid ${s.header.pid} on ${s.header.host})`,
        hint: 'stop that kola (Ctrl-C deletes its machines), or pass --force if it is really gone',
        details: { runId: s.header.runId, pid: s.header.pid, host: s.header.host },
      });
    }
    targets = [s];
  } else {
    const all = await listRunStates(stateDir);
    targets = all.filter((e): e is RunState => !('error' in e) && !e.finished && !runIsLive(e.header));
    if (targets.length === 0) ctx.logger.info(`no unfinished runs in ${runsDir(stateDir)}`);
  }
  const out: CleanupResultData = { runs: [] };
  const failures: string[] = [];
  for (const s of targets) {
    ctx.logger.info(
      `cleaning up run ${s.header.runId} (${s.header.platform} ${Object.values(s.header.scope).join(' ')})`,
    );
    const cleaner = await cleanerFor(s.header, {
      awsProfile: o.awsProfile,
      awsConfigFile: o.awsConfigFile,
      gceJsonKey: o.gceJsonKey,
      azureProfile: o.azureProfile,
      azureConfigFile: o.azureConfigFile,
      env: ctx.env,
      cwd: ctx.cwd,
      logger: ctx.logger,
    });
    try {
      const r = await cleaner.cleanup({
        header: s.header,
        resources: s.resources,
        logger: ctx.logger,
        signal: ctx.signal,
      });
      const journal = await RunJournal.reopen(s.path, s.header);
      try {
        const byId = new Map(s.resources.filter((x) => x.id).map((x) => [x.id, x]));
        for (const d of r.deleted)
          await journal.deleted(
            (byId.get(d.id)?.kind ?? d.kind) as never,
            byId.get(d.id)?.name ?? d.id,
            d.id,
          );
        await journal.finish();
      } finally {
        await journal.close();
      }
      // the run's SSH key goes with its machines
      await rm(runKeyDir(s.path), { recursive: true, force: true });
      out.runs.push({ runId: s.header.runId, platform: s.header.platform, deleted: r.deleted });
    } catch (err) {
      failures.push(`${s.header.runId}: ${(err as Error).message}`);
      if (o.run !== undefined) throw err;
    } finally {
      cleaner.close();
    }
  }
  if (failures.length > 0) {
    throw new OperationError({
      code: 'KOLA_CLEANUP_FAILED',
      message: `cleaning up failed for ${failures.length} run(s):\n${failures.join('\n')}`,
      hint: 'run `kola cleanup RUN` for each to see the full error',
    });
  }
  return out;
}
