import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { UsageError } from '@mantle/core/errors';
import { createNativeContext, isNativeRebootRequest, isNativeSkip } from './context.js';
import {
  AUTOPKGTEST_REBOOT_MARK_ENV,
  REBOOT_MARK_ENV,
  REBOOT_REQUEST_FILE_ENV,
  rebootMarkProblem,
} from './protocol.js';
import type { NativeRegistry } from './registry.js';

export interface RunNativeOptions {
  registry: NativeRegistry;
  test: string;
  func: string;
  /** the mark of the reboot this function asked for on its previous run */
  rebootMark?: string | undefined;
  /** where a returned value is printed */
  stdout: NodeJS.WritableStream;
  /** where ctx.log writes */
  stderr: NodeJS.WritableStream;
  signal?: AbortSignal;
  /** fail the function when it runs longer (milliseconds) */
  timeoutMs?: number;
  /**
   * The environment the function and its children see; kolet sets the reboot variables in
   * it. Defaults to process.env, which is what child processes inherit.
   */
  env?: NodeJS.ProcessEnv;
}

export type NativeRunResult =
  | { status: 'pass' }
  | { status: 'fail'; message: string; stack: string | undefined }
  | { status: 'skip'; reason: string }
  | { status: 'reboot'; mark: string };

/**
 * Run one registered native function and say how it ended. An unknown test or function is a
 * UsageError (exit 2) listing the known ones. A function asks for a reboot by calling
 * ctx.rebootRequest(mark), or by running `kolet reboot-request MARK` in a child process
 * (which writes the file named by $KOLET_REBOOT_REQUEST_FILE) and then returning.
 */
export async function runNativeFunction(opts: RunNativeOptions): Promise<NativeRunResult> {
  const fn = opts.registry.get(opts.test, opts.func);
  if (!fn) throw notFound(opts.registry, opts.test, opts.func);
  if (opts.rebootMark !== undefined) {
    const problem = rebootMarkProblem(opts.rebootMark);
    if (problem)
      throw new UsageError({
        code: 'BAD_REBOOT_MARK',
        message: `--reboot-mark: ${problem}`,
        hint: 'pass the mark kolet printed',
      });
  }
  const env = opts.env ?? process.env;
  const dir = await requestDir();
  const requestFile = dir === undefined ? undefined : join(dir, 'reboot-request');
  const saved = saveEnv(env, [REBOOT_MARK_ENV, AUTOPKGTEST_REBOOT_MARK_ENV, REBOOT_REQUEST_FILE_ENV]);
  if (requestFile) env[REBOOT_REQUEST_FILE_ENV] = requestFile;
  else delete env[REBOOT_REQUEST_FILE_ENV];
  if (opts.rebootMark !== undefined) {
    env[REBOOT_MARK_ENV] = opts.rebootMark;
    env[AUTOPKGTEST_REBOOT_MARK_ENV] = opts.rebootMark;
  } else {
    delete env[REBOOT_MARK_ENV];
    delete env[AUTOPKGTEST_REBOOT_MARK_ENV];
  }
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    const ctx = createNativeContext({
      test: opts.test,
      func: opts.func,
      rebootMark: opts.rebootMark,
      signal: controller.signal,
      stderr: opts.stderr,
    });
    const timeout = new Promise<never>((_, reject) => {
      if (opts.timeoutMs === undefined) return;
      timer = setTimeout(() => {
        const err = new Error(`timed out after ${opts.timeoutMs! / 1000}s`);
        controller.abort(err);
        reject(err);
      }, opts.timeoutMs);
    });
    const value: unknown = await Promise.race([Promise.resolve().then(() => fn(ctx)), timeout]);
    printValue(value, opts.stdout);
    const mark = requestFile === undefined ? undefined : await readRequest(requestFile);
    return mark === undefined ? { status: 'pass' } : { status: 'reboot', mark };
  } catch (err) {
    if (isNativeSkip(err)) return { status: 'skip', reason: err.reason };
    if (isNativeRebootRequest(err)) return { status: 'reboot', mark: err.mark };
    if (err instanceof Error) return { status: 'fail', message: err.message || err.name, stack: err.stack };
    return { status: 'fail', message: `threw ${inspect(err)}`, stack: undefined };
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    restoreEnv(env, saved);
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A private directory for the reboot-request file. A machine without a writable /tmp still
 * runs functions; only `kolet reboot-request` from child processes is then unavailable.
 */
async function requestDir(): Promise<string | undefined> {
  for (const base of [tmpdir(), '/run', '/var/tmp', '/dev/shm']) {
    try {
      return await mkdtemp(join(base, 'kolet-'));
    } catch {
      // try the next place
    }
  }
  return undefined;
}

function printValue(value: unknown, out: NodeJS.WritableStream): void {
  if (value === undefined || value === null) return;
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  if (text === undefined || text === '') return;
  out.write(text.endsWith('\n') ? text : text + '\n');
}

async function readRequest(file: string): Promise<string | undefined> {
  try {
    const mark = (await readFile(file, 'utf8')).trim();
    return mark || undefined;
  } catch {
    return undefined;
  }
}

function notFound(registry: NativeRegistry, test: string, func: string): UsageError {
  const known = registry.list();
  const listing =
    known.length === 0
      ? 'none are registered (bundle them into kolet or pass --module FILE)'
      : known.map((t) => `${t.test}: ${t.funcs.join(', ')}`).join('; ');
  const what = registry.has(test)
    ? `test ${test} has no native function ${JSON.stringify(func)}`
    : `no test ${JSON.stringify(test)} with native functions`;
  return new UsageError({
    code: 'NATIVE_NOT_FOUND',
    message: `${what}; known: ${listing}`,
    hint: 'check the names (kolet list shows them), or pass the module that defines it with --module FILE',
    details: { test, func, known },
  });
}

function saveEnv(env: NodeJS.ProcessEnv, keys: string[]): Record<string, string | undefined> {
  return Object.fromEntries(keys.map((k) => [k, env[k]]));
}

function restoreEnv(env: NodeJS.ProcessEnv, saved: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
}
