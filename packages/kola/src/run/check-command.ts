import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ExitCode, InputError, errorMessage } from '@mantle/core/errors';
import { writeOut, type CommandContext } from '@mantle/core/cli';
import { CHECK_FORMATS, formatCheckReport, type CheckFormat, type CheckReportJson } from '@mantle/kolet';
import { KoletAgent } from '../kolet/agent.js';
import { checkReportFromJson, resolveCheckSpec } from '../kolet/check-spec.js';
import type { PlatformFactory } from '../platform/registry.js';
import { bootOneMachine } from './boot-one.js';
import { chooseImage } from './image-select.js';
import type { RunOptions } from './options.js';

export interface CheckCommandOptions {
  run: RunOptions;
  /** the spec file (YAML, goss-style keys) */
  spec: string;
  format: CheckFormat;
  /** Butane or Ignition file for the machine */
  userdata?: string | undefined;
}

/** What `kola check` returns (and prints with --json): kolet's JSON report plus where it ran. */
export interface CheckCommandResult extends CheckReportJson {
  spec: string;
  machine: string;
  outputDir: string;
  passed: boolean;
}

/**
 * `kola check --image IMAGE SPEC`: validate the spec and find kolet before booting, boot one
 * machine of the image, install kolet on it, run the spec, print the report. Exit 0 when every
 * check passed, 1 when one failed, 2 for a bad spec, 3 for a missing image/qemu/kolet.
 */
export async function checkCommand(
  opts: CheckCommandOptions,
  ctx: CommandContext,
  deps: { platforms?: Record<string, PlatformFactory>; kolet?: KoletAgent } = {},
): Promise<CheckCommandResult> {
  if (!(CHECK_FORMATS as readonly string[]).includes(opts.format)) {
    throw new InputError({
      code: 'BAD_FORMAT',
      message: `--format ${opts.format}: expected one of ${CHECK_FORMATS.join(', ')}`,
      hint: 'pass --format documentation, json or tap',
    });
  }
  const specPath = resolve(ctx.cwd, opts.spec);
  const spec = await resolveCheckSpec(specPath, { baseDir: ctx.cwd, owner: 'kola check' });
  const kolet = deps.kolet ?? KoletAgent.load(ctx.env, ctx.logger);
  const userData = opts.userdata ? await readUserData(resolve(ctx.cwd, opts.userdata)) : undefined;
  const { opts: run } = await chooseImage(opts.run, ctx.env, ctx.cwd);

  const booted = await bootOneMachine(run, ctx, {
    command: 'check',
    userData,
    kolet: { path: kolet.artifacts.executable, sha256: kolet.artifacts.sha256 },
    ...(deps.platforms ? { platforms: deps.platforms } : {}),
  });
  try {
    const r = await kolet.runChecks(booted.machine, spec.text);
    const report = checkReportFromJson(r.report, spec.file);
    if (!ctx.json) writeOut(ctx, formatCheckReport(report, opts.format).replace(/\n$/, ''));
    ctx.setExitCode(r.passed ? ExitCode.Ok : ExitCode.Failure);
    return {
      ...r.report,
      spec: spec.file,
      machine: r.machine,
      outputDir: booted.outputDir,
      passed: r.passed,
    };
  } finally {
    await booted.close();
  }
}

async function readUserData(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError({
      code: 'USERDATA_UNREADABLE',
      message: `--userdata ${path}: ${errorMessage(err)}`,
      hint: 'give a Butane or Ignition file',
      cause: err,
    });
  }
}
