import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '@mantle/core/errors';
import { createCheckContext, type CheckContext, type PackageManager, type SystemPaths } from './context.js';
import { checkAddr } from './kinds/addr.js';
import { checkCommand } from './kinds/command.js';
import { displayId } from './kinds/common.js';
import { checkDns } from './kinds/dns.js';
import { checkFile } from './kinds/file.js';
import { checkHttp } from './kinds/http.js';
import { checkInterface } from './kinds/interface.js';
import { checkKernelParam } from './kinds/kernel-param.js';
import { checkMatching } from './kinds/matching.js';
import { checkMount } from './kinds/mount.js';
import { checkPackage } from './kinds/package.js';
import { checkPort } from './kinds/port.js';
import { checkProcess } from './kinds/process.js';
import { checkService } from './kinds/service.js';
import { checkGroup, checkUser } from './kinds/user-group.js';
import { ALIAS_ATTRIBUTE, CHECKED_ATTRIBUTES, REQUIRED_ATTRIBUTE } from './spec-schema.js';
import type { CheckKind, CheckReport, CheckResult, CheckSpec, KindProps, Resource } from './types.js';
import { ResourceRun } from './validate-value.js';

export interface RunChecksOptions {
  signal?: AbortSignal;
  /** environment for commands (default process.env; a missing PATH gets the usual one) */
  env?: NodeJS.ProcessEnv;
  /** relative file paths and commands start here (default process.cwd()) */
  cwd?: string;
  /** milliseconds the whole run may take; checks still running then fail as timed out */
  timeoutMs?: number | undefined;
  /** keep re-running a failing spec while elapsed + sleep stays within this (goss --retry-timeout) */
  retryTimeoutMs?: number | undefined;
  /** pause between retries (default 1 s) */
  sleepMs?: number | undefined;
  /** resources checked at once (goss's --max-concurrent: default 50, at most 5 per CPU) */
  concurrency?: number | undefined;
  /** the package manager for package checks (goss's --package), else detected */
  packageManager?: PackageManager | undefined;
  /** where passwd, group, /proc live (tests) */
  paths?: Partial<SystemPaths>;
  /** called after each failing attempt that will be retried, with the wait before the next */
  onRetry?: (
    attempt: number,
    report: CheckReport,
    sleepMs: number,
    elapsedMs: number,
  ) => void | Promise<void>;
  /** what goss prints as warnings while checking (each message once) */
  onWarning?: (message: string) => void;
}

type Checker<K extends CheckKind> = (
  run: ResourceRun,
  id: string,
  props: KindProps[K],
  ctx: CheckContext,
) => Promise<void>;

const CHECKERS: { [K in CheckKind]: Checker<K> } = {
  user: checkUser,
  group: checkGroup,
  file: checkFile,
  service: checkService,
  process: checkProcess,
  port: checkPort,
  'kernel-param': checkKernelParam,
  mount: checkMount,
  command: checkCommand,
  dns: checkDns,
  http: checkHttp,
  package: checkPackage,
  addr: checkAddr,
  interface: checkInterface,
  matching: checkMatching,
};

/** goss's worker count: --max-concurrent, at most five per CPU. */
export function workerCount(maxConcurrent = 50): number {
  return Math.max(1, Math.min(availableParallelism() * 5, maxConcurrent));
}

/**
 * Check every resource of a spec on this machine and report each attribute's result, in spec
 * order. Never throws for a failing or broken check: that is a failed result with the reason.
 * With retryTimeoutMs, a failing run is repeated (after sleepMs) as goss's --retry-timeout.
 */
export async function runChecks(spec: CheckSpec, opts: RunChecksOptions = {}): Promise<CheckReport> {
  const pending = (spec.includes ?? []).filter((i) => !i.skip);
  if (pending.length > 0) {
    // parseCheckSpec reads no files: running without the included checks would pass too easily.
    throw new InputError({
      code: 'CHECK_SPEC_INCLUDES_NOT_LOADED',
      message: `check spec ${spec.file} includes ${pending.map((i) => `'${i.path}'`).join(', ')} (gossfile) but they were not loaded`,
      hint: 'load the spec with loadCheckSpec(), which reads the included files',
    });
  }
  const started = Date.now();
  const sleepMs = opts.sleepMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    const report = await runOnce(spec, opts);
    const elapsed = Date.now() - started;
    const retry = opts.retryTimeoutMs ?? 0;
    if (report.summary.failed === 0 || retry <= 0 || elapsed + sleepMs > retry || opts.signal?.aborted)
      return report;
    await opts.onRetry?.(attempt, report, sleepMs, elapsed);
    await sleep(sleepMs, undefined, { signal: opts.signal }).catch(() => undefined);
  }
}

async function runOnce(spec: CheckSpec, opts: RunChecksOptions): Promise<CheckReport> {
  const started = Date.now();
  const deadline = new AbortController();
  // Every running check listens for the deadline: many resources are not a leak.
  setMaxListeners(0, deadline.signal);
  const timer = opts.timeoutMs !== undefined ? setTimeout(() => deadline.abort(), opts.timeoutMs) : undefined;
  const onOuterAbort = (): void => deadline.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const warnings: string[] = [];
  const ctx = createCheckContext({
    signal: deadline.signal,
    env: opts.env ?? process.env,
    paths: opts.paths,
    cwd: opts.cwd,
    packageManager: opts.packageManager,
    warn: (m) => {
      warnings.push(m);
      opts.onWarning?.(m);
    },
  });
  const results: CheckResult[][] = new Array<CheckResult[]>(spec.resources.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < spec.resources.length) {
      const i = next++;
      results[i] = await checkResource(spec.resources[i] as Resource, i, ctx, opts.timeoutMs);
    }
  };
  try {
    await Promise.all(
      Array.from(
        { length: Math.min(workerCount(opts.concurrency), Math.max(1, spec.resources.length)) },
        worker,
      ),
    );
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
  const flat = results.flat();
  return {
    file: spec.file,
    results: flat,
    summary: {
      count: flat.length,
      failed: flat.filter((r) => r.status === 'fail').length,
      skipped: flat.filter((r) => r.status === 'skip').length,
      durationMs: Date.now() - started,
    },
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

async function checkResource(
  r: Resource,
  group: number,
  ctx: CheckContext,
  runTimeoutMs: number | undefined,
): Promise<CheckResult[]> {
  const props = r.props as Record<string, unknown> & { skip?: boolean; title?: string; meta?: unknown };
  const alias = ALIAS_ATTRIBUTE[r.kind];
  const run = new ResourceRun(
    r.kind,
    displayId(r.id, alias ? (props[alias] as string | undefined) : undefined),
    props.title ?? '',
    props.meta ?? null,
    props.skip === true,
    group,
  );
  if (ctx.signal.aborted) {
    for (const a of attributesOf(r))
      run.add(a, 'fail', `not run: the check run timed out after ${(runTimeoutMs ?? 0) / 1000}s`);
    return run.results;
  }
  try {
    await untilAborted(
      (CHECKERS[r.kind] as Checker<typeof r.kind>)(run, r.id, r.props as never, ctx),
      ctx.signal,
    );
  } catch (err) {
    const why = ctx.signal.aborted
      ? `stopped: the check run timed out after ${(runTimeoutMs ?? 0) / 1000}s`
      : `error: ${err instanceof Error ? err.message : String(err)}`;
    const done = new Set(run.results.map((x) => x.property));
    for (const a of attributesOf(r)) if (!done.has(a)) run.add(a, 'fail', why);
  }
  return run.results;
}

/** The attributes a resource reports (for results made up when a check could not run). */
function attributesOf(r: Resource): string[] {
  const props = r.props as Record<string, unknown>;
  const required = REQUIRED_ATTRIBUTE[r.kind];
  return CHECKED_ATTRIBUTES[r.kind].filter(
    (a) => a === required || (props[a] !== undefined && props[a] !== null),
  );
}

/** A check that ignores the deadline must not hold the whole run: stop waiting at the abort. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolveValue, reject) => {
    const onAbort = (): void => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolveValue, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
