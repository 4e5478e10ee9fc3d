import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ExitCode, PrerequisiteError, UsageError } from '@mantle/core/errors';
import { painterFor, redact } from '@mantle/core/log';
import { onCleanup, type CommandContext } from '@mantle/core/cli';
import { checkOutputFile } from '@mantle/core/fs';
import { loadExtTests } from '../exttest/discover.js';
import { Harness, type HarnessResult } from '../harness/harness.js';
import { KoletAgent } from '../kolet/agent.js';
import { checksBaseDir, resolveCheckSpec, type ResolvedCheckSpec } from '../kolet/check-spec.js';
import { autoParallel } from '../harness/parallel.js';
import { writeFileAtomic } from '@mantle/core/fs';
import { paintResultLine } from '../output/console-reporter.js';
import { formatJUnit } from '../output/junit.js';
import { createOutputDir, planOutputDir, type PreparedOutputDir } from '../output/output-dir.js';
import { buildReport, type MantleReport } from '../output/report-json.js';
import { formatTap } from '../output/tap.js';
import {
  platforms as defaultPlatforms,
  resolvePlatform,
  type PlatformFactory,
} from '../platform/registry.js';
import type { Flight } from '../platform/types.js';
import { describeEmptySelection, type SelectionCriteria } from '../registry/filter.js';
import type { Registry } from '../registry/registry.js';
import { kolaVersion } from '../version.js';
import { chooseImage } from './image-select.js';
import { loadRegistry } from './load-registry.js';
import { memoryPerMachineMiB, runArch, type RunOptions } from './options.js';
import type { KolaTest } from '../types.js';

/** Injected dependencies, so tests run the command in-process against a fake platform. */
export interface RunDeps {
  platforms?: Record<string, PlatformFactory>;
  /** use this registry instead of built-ins + --tests-dir */
  registry?: Registry;
  now?: () => Date;
  pid?: number;
  /** limits for `--parallel auto` (default: this host's cores and free memory) */
  autoParallel?: { cores?: number; freeMemoryBytes?: number };
  /** use this kolet instead of loading @mantle/kolet's build output */
  kolet?: KoletAgent;
}

/** What `kola run` returns: report.json's content plus where the output went. */
export interface RunCommandResult extends MantleReport {
  outputDir: string;
  interrupted: boolean;
}

/** The run's tests as `kola run` selects them (also what `--dry-run` plans). */
export interface RunSelection {
  opts: RunOptions;
  distro: string;
  arch: string;
  tests: KolaTest[];
}

/** Resolve the platform, load the registry, pick the image and distro, select the tests (exit 2 when none). */
export async function selectRun(
  input: RunOptions,
  ctx: CommandContext,
  deps: Pick<RunDeps, 'platforms' | 'registry'> = {},
): Promise<RunSelection> {
  resolvePlatform(input.platform, deps.platforms ?? defaultPlatforms);
  const registry = deps.registry ?? (await loadRegistry({ testsDirs: input.testsDirs, cwd: ctx.cwd }));
  let globs = input.globs;
  if (input.exttest.length > 0) {
    const ext = await loadExtTests(input.exttest, { cwd: ctx.cwd, logger: ctx.logger });
    for (const t of ext) registry.register(t);
    // `kola run -E DIR` alone runs DIR's tests; give globs to run others with them.
    if (globs.length === 0) globs = ext.map((t) => t.name);
  }
  const image = await chooseImage({ ...input, globs }, ctx.env, ctx.cwd);
  const opts = image.opts;
  const distro = image.distro;
  if (image.distroFrom !== 'flag')
    ctx.logger.info(
      `distro ${distro} (${image.distroFrom === 'image' ? `from the image ${image.manifest?.dir ?? ''}` : 'default; pass -b to choose'})`,
    );
  const arch = runArch(opts);
  const criteria: SelectionCriteria = {
    globs: opts.globs,
    tags: opts.tags,
    excludeTags: opts.excludeTags,
    denylist: opts.denylist,
    platform: opts.platform,
    distro,
    arch,
  };
  if (opts.shard) criteria.shard = opts.shard;
  const selection = registry.filter(criteria);
  const denied = selection.excluded.filter((e) => e.reason === 'denylist');
  if (denied.length > 0) ctx.logger.info(`denylisted: ${denied.map((e) => e.name).join(', ')}`);
  if (selection.tests.length === 0) {
    throw new UsageError({
      code: 'NO_TEST_MATCHED',
      message: describeEmptySelection(selection, criteria, registry.size),
      hint: "run 'kola list' to see the registered tests and their platforms, distros and tags",
    });
  }
  return { opts, distro, arch, tests: selection.tests };
}

/**
 * `kola run`: select tests, prepare the output directory, create the platform's Flight, run the
 * harness, write test.tap, reports/report.json, reports/junit.xml and properties.json. Sets exit
 * code 1 when a test failed and 130 when interrupted; a missing prerequisite (qemu, the image)
 * is rethrown after the reports are written (exit 3).
 */
export async function runCommand(
  input: RunOptions,
  ctx: CommandContext,
  deps: RunDeps = {},
): Promise<RunCommandResult> {
  const factory = resolvePlatform(input.platform, deps.platforms ?? defaultPlatforms);
  const { opts, distro, arch, tests } = await selectRun(input, ctx, deps);
  const selection = { tests };

  // Everything that can be wrong before a machine boots is checked now: check specs (exit 2), then
  // kolet for tests that need it (exit 3).
  const checkSpecs = await resolveCheckSpecs(selection.tests, ctx.cwd);
  const kolet = needsKolet(selection.tests)
    ? (deps.kolet ?? KoletAgent.load(ctx.env, ctx.logger))
    : deps.kolet;
  if (kolet) requireBundled(kolet, selection.tests);

  const parallel =
    opts.parallel === 'auto'
      ? autoParallel({
          ...deps.autoParallel,
          memoryPerMachineMiB: memoryPerMachineMiB(opts),
          clusterSize: Math.max(1, ...selection.tests.map((t) => t.clusterSize)),
        })
      : opts.parallel;
  if (opts.parallel === 'auto') ctx.logger.info(`--parallel auto: running ${parallel} test(s) at once`);

  const now = deps.now ?? (() => new Date());
  // Where the output goes is checked now, and created only once the platform accepted the
  // inputs: a bad --qemu-image, --key or firmware, or a missing qemu, leaves no directory and
  // does not move <platform>-latest.
  const plan = await planOutputDir({
    cwd: ctx.cwd,
    platform: opts.platform,
    outputDir: opts.outputDir,
    now: now(),
    pid: deps.pid ?? process.pid,
  });
  if (opts.tapfile) await checkOutputFile(opts.tapfile, { cwd: ctx.cwd, flag: '--tapfile', overwrite: true });

  // With --json, stdout carries only the final report; the progress lines go to stderr.
  const stream = ctx.json ? ctx.stderr : ctx.stdout;
  // PASS/FAIL in colour only on a terminal (FORCE_COLOR / NO_COLOR decide otherwise).
  const colour = painterFor(stream, ctx.env);
  const write = (line: string): void => void stream.write(paintResultLine(line, colour) + '\n');

  let flight: Flight | undefined;
  let result: HarnessResult;
  let out: PreparedOutputDir;
  const startedAt = now();
  const unregister = onCleanup(async () => {
    if (opts.remove) await flight?.destroy();
  }, 'kola flight');
  try {
    // The factory checks every prerequisite (qemu, image, firmware, keys) before it returns.
    flight = await factory({
      run: opts,
      outputDir: plan.dir,
      logger: ctx.logger,
      signal: ctx.signal,
      env: ctx.env,
      cwd: ctx.cwd,
      ...(kolet ? { kolet: { path: kolet.artifacts.executable, sha256: kolet.artifacts.sha256 } } : {}),
    });
    out = await createOutputDir(plan);
    ctx.logger.debug(`output in ${out.dir}`);
    const harness = new Harness({
      flight,
      tests: selection.tests,
      target: { platform: opts.platform, distro, arch },
      outputDir: out.dir,
      checkSpecs,
      ...(kolet ? { kolet } : {}),
      parallel,
      rerunFailed: opts.rerunFailed,
      snapshot: opts.snapshot,
      share: opts.share,
      remove: opts.remove,
      signal: ctx.signal,
      logger: ctx.logger,
      write,
    });
    result = await harness.run();
  } finally {
    if (flight && opts.remove)
      await flight
        .destroy()
        .catch((e: unknown) => ctx.logger.warn(`destroying the flight failed: ${String(e)}`));
    else if (flight)
      ctx.logger.info(
        `--remove=false: clusters were left up after their tests; machines that run as kola's own processes (qemu) still end with kola — use 'kola spawn --detach' to keep machines running`,
      );
    unregister();
  }

  const report = buildReport(result.tests, {
    result: result.result,
    platform: opts.platform,
    version: result.image.versionId,
  });
  await writeReports(out.dir, opts, ctx, report, result, {
    startedAt,
    endedAt: now(),
    parallel,
    arch,
    distro,
  });

  if (result.prerequisiteError) throw result.prerequisiteError;
  if (result.interrupted) ctx.setExitCode(ExitCode.Interrupted);
  else if (report.result === 'FAIL') ctx.setExitCode(ExitCode.Failure);
  return { ...report, outputDir: out.dir, interrupted: result.interrupted };
}

async function writeReports(
  dir: string,
  opts: RunOptions,
  ctx: CommandContext,
  report: MantleReport,
  result: HarnessResult,
  meta: { startedAt: Date; endedAt: Date; parallel: number; arch: string; distro: string },
): Promise<void> {
  await mkdir(join(dir, 'reports'), { recursive: true });
  const tap = formatTap(result.tests);
  await writeFileAtomic(join(dir, 'test.tap'), tap);
  if (opts.tapfile) await writeFileAtomic(resolve(ctx.cwd, opts.tapfile), tap);
  await writeFileAtomic(join(dir, 'reports', 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(
    join(dir, 'reports', 'junit.xml'),
    formatJUnit(result.tests, {
      platform: opts.platform,
      version: result.image.versionId,
      startedAt: meta.startedAt,
    }),
  );
  const properties = {
    platform: opts.platform,
    distro: meta.distro,
    arch: meta.arch,
    kolaVersion,
    options: redact(opts),
    image: { path: opts.qemu.image, kernel: opts.qemu.kernel, initrd: opts.qemu.initrd, ...result.image },
    parallel: meta.parallel,
    result: report.result,
    interrupted: result.interrupted,
    startedAt: meta.startedAt.toISOString(),
    endedAt: meta.endedAt.toISOString(),
    pid: process.pid,
  };
  await writeFileAtomic(join(dir, 'properties.json'), JSON.stringify(properties, null, 2) + '\n');
}

/** Whether any of the tests runs kolet on its machines (native functions or checks). */
export function needsKolet(tests: readonly KolaTest[]): boolean {
  return tests.some((t) => Object.keys(t.nativeFuncs).length > 0 || t.checks !== undefined);
}

/** Read and validate the check specs of the tests that have them (InputError, exit 2). */
export async function resolveCheckSpecs(
  tests: readonly KolaTest[],
  cwd: string,
): Promise<Map<string, ResolvedCheckSpec>> {
  const specs = new Map<string, ResolvedCheckSpec>();
  for (const t of tests) {
    if (t.checks === undefined) continue;
    specs.set(
      t.name,
      await resolveCheckSpec(t.checks, { baseDir: checksBaseDir(t, cwd), owner: `test ${t.name}` }),
    );
  }
  return specs;
}

// Built-in tests' native functions live inside the kolet executable: one built before they were
// added cannot run them, which is better said now than after a boot.
function requireBundled(kolet: KoletAgent, tests: readonly KolaTest[]): void {
  const missing = tests.filter(
    (t) => t.source === 'built-in' && Object.keys(t.nativeFuncs).length > 0 && !kolet.bundles(t.name),
  );
  if (missing.length === 0) return;
  throw new PrerequisiteError({
    code: 'KOLET_STALE',
    message: `the kolet executable ${kolet.artifacts.executable} (${kolet.artifacts.versionLine}) does not carry the native functions of ${missing.map((t) => t.name).join(', ')}`,
    hint: 'rebuild it with `pnpm --filter @mantle/kola build` (it bundles the built-in tests of packages/kola/src/tests)',
    details: { tests: missing.map((t) => t.name), bundled: kolet.artifacts.bundledTests },
  });
}
