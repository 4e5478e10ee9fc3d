import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '@mantle/core/errors';
import { createCheckContext, type CheckContext, type SystemPaths } from './context.js';
import { checkAddr } from './kinds/addr.js';
import { checkCommand } from './kinds/command.js';
import { checkDns } from './kinds/dns.js';
import { checkFile } from './kinds/file.js';
import { checkHttp } from './kinds/http.js';
import { checkInterface } from './kinds/interface.js';
import { checkKernelParam } from './kinds/kernel-param.js';
import { checkMount } from './kinds/mount.js';
import { checkPackage } from './kinds/package.js';
import { checkPort } from './kinds/port.js';
import { checkProcess } from './kinds/process.js';
import { checkService } from './kinds/service.js';
import { checkGroup, checkUser } from './kinds/user-group.js';
import type { Pattern } from './matchers.js';
import { failed, skipped, type Outcome } from './outcome.js';
import { NON_CHECK_PROPS } from './spec-schema.js';
import {
  KIND_TITLES,
  type CheckKind,
  type CheckReport,
  type CheckResult,
  type CheckSpec,
  type KindProps,
  type Resource,
} from './types.js';

export interface RunChecksOptions {
  signal?: AbortSignal;
  /** environment for commands (default process.env; a missing PATH gets the usual one) */
  env?: NodeJS.ProcessEnv;
  /** milliseconds the whole run may take; checks still running then fail as timed out */
  timeoutMs?: number;
  /** keep re-running a failing spec until it passes or this many milliseconds passed (goss --retry-timeout) */
  retryTimeoutMs?: number;
  /** pause between retries (default 1 s) */
  sleepMs?: number;
  /** resources checked at once (default 8) */
  concurrency?: number;
  /** where passwd, group, /proc live (tests) */
  paths?: Partial<SystemPaths>;
  /** called after each failing attempt that will be retried */
  onRetry?: (attempt: number, report: CheckReport) => void;
}

type Checker<K extends CheckKind> = (
  id: string,
  props: KindProps[K],
  ctx: CheckContext,
) => Promise<Outcome[]>;

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
};

/**
 * Check every resource of a spec on this machine and report each property's result, in spec
 * order. Never throws for a failing or broken check: that is a failed result with the reason.
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
  for (let attempt = 1; ; attempt++) {
    const report = await runOnce(spec, opts);
    const retryLeft = (opts.retryTimeoutMs ?? 0) - (Date.now() - started);
    if (report.summary.failed === 0 || retryLeft <= 0 || opts.signal?.aborted) {
      return { ...report, summary: { ...report.summary, durationMs: Date.now() - started } };
    }
    opts.onRetry?.(attempt, report);
    await sleep(Math.min(opts.sleepMs ?? 1000, retryLeft), undefined, { signal: opts.signal }).catch(
      () => undefined,
    );
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
  const ctx = createCheckContext({
    signal: deadline.signal,
    env: opts.env ?? process.env,
    paths: opts.paths,
  });
  const results: CheckResult[][] = new Array<CheckResult[]>(spec.resources.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < spec.resources.length) {
      const i = next++;
      results[i] = await checkResource(spec.resources[i] as Resource, ctx, opts.timeoutMs);
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 8, spec.resources.length)) }, worker),
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
  };
}

/** The properties of a resource that are checks, with their expected values as shown in results. */
function checkProps(r: Resource): [string, unknown][] {
  return Object.entries(r.props as Record<string, unknown>)
    .filter(([k, v]) => !NON_CHECK_PROPS.has(k) && v !== undefined)
    .map(([k, v]): [string, unknown] => [
      k,
      Array.isArray(v) ? v.map((x: unknown) => (isPattern(x) ? x.source : x)) : v,
    ]);
}

function isPattern(x: unknown): x is Pattern {
  return typeof x === 'object' && x !== null && 'source' in x && 'negate' in x;
}

async function checkResource(
  r: Resource,
  ctx: CheckContext,
  runTimeoutMs: number | undefined,
): Promise<CheckResult[]> {
  const t0 = Date.now();
  let outcomes: Outcome[];
  const props = r.props;
  if (props.skip) {
    outcomes = checkProps(r).map(([k, v]) => skipped(k, v, 'skip: true in the spec'));
  } else if (ctx.signal.aborted) {
    outcomes = checkProps(r).map(([k, v]) =>
      failed(k, v, null, `not run: the check run timed out after ${(runTimeoutMs ?? 0) / 1000}s`),
    );
  } else {
    try {
      outcomes = await untilAborted(
        (CHECKERS[r.kind] as Checker<typeof r.kind>)(r.id, props as never, ctx),
        ctx.signal,
      );
    } catch (err) {
      const why = ctx.signal.aborted
        ? `stopped: the check run timed out after ${(runTimeoutMs ?? 0) / 1000}s`
        : `error: ${err instanceof Error ? err.message : String(err)}`;
      outcomes = checkProps(r).map(([k, v]) => failed(k, v, null, why));
    }
  }
  const durationMs = Date.now() - t0;
  return outcomes.map((o) => ({
    kind: r.kind,
    resourceType: KIND_TITLES[r.kind],
    resourceId: r.id,
    title: props.title,
    property: o.property,
    status: o.status,
    expected: o.expected,
    found: o.found,
    message: o.message,
    durationMs,
    ...(props.meta !== undefined ? { meta: props.meta } : {}),
  }));
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
