import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { ExitCode, InputError } from '@mantle/core/errors';
import type { CommandContext } from '@mantle/core/cli';
import { checkInputPath } from '@mantle/core/fs';
import { shellQuote } from '@mantle/core/ssh';
import {
  CHECK_FORMATS,
  FORMAT_OPTIONS,
  checkReportJson,
  formatReport,
  loadTemplateVars,
  templateVarsText,
  type CheckFormat,
  type CheckReportJson,
} from '@mantle/kolet';
import { KoletAgent } from '../kolet/agent.js';
import { checkReportFromJson, resolveCheckSpec } from '../kolet/check-spec.js';
import { writeFileAtomic } from '@mantle/core/fs';
import type { Machine } from '../platform/types.js';
import type { PlatformFactory } from '../platform/registry.js';
import { bootOneMachine } from './boot-one.js';
import type { CheckArgs } from './check-flags.js';
import { chooseImage } from './image-select.js';
import type { RunOptions } from './options.js';

export interface CheckCommandOptions {
  run: RunOptions;
  /** the spec file (goss YAML or JSON; templates and gossfile includes as goss) */
  spec: string;
  format: CheckFormat;
  /** goss's --format-options (pretty, sort, perfdata, verbose, exclude_raw) */
  formatOptions?: readonly string[];
  /** Butane or Ignition file for the machine */
  userdata?: string | undefined;
  /** `--vars FILE` (repeatable): the spec template's .Vars, read here and sent to the machine */
  vars?: readonly string[];
  /** `--vars-inline TEXT`: over the files' vars, as goss's */
  varsInline?: string | undefined;
  /** `-e NAME=VALUE` (repeatable): added to the environment kolet runs with on the machine (.Env) */
  env?: readonly string[];
}

/** What `kola check` returns (and prints with --json): kolet's JSON report plus where it ran. */
export interface CheckCommandResult extends CheckReportJson {
  spec: string;
  machine: string;
  outputDir: string;
  /** the goss report files kept in the output directory */
  reports: string[];
  passed: boolean;
}

/** The file a format's report is kept in (in the output directory). */
const REPORT_FILE: Record<CheckFormat, string> = {
  documentation: 'check-report.txt',
  rspecish: 'check-report.rspecish.txt',
  tap: 'check-report.tap',
  json: 'check-report.json',
  structured: 'check-report.structured.json',
  junit: 'check-report.junit.xml',
  nagios: 'check-report.nagios.txt',
  prometheus: 'check-report.prom',
  silent: 'check-report.txt',
};

/** Files uploaded for a spec with gossfile includes (its directory's specs). */
const MAX_SPEC_FILES = 500;
const MAX_SPEC_BYTES = 16 * 1024 * 1024;
const REMOTE_SPEC_DIR = '/var/lib/kolet/spec';

/** The check options from parsed flags (the platform's RunOptions are the CLI's business). */
export function checkOptionsFromArgs(a: CheckArgs & { spec: string }, run: RunOptions): CheckCommandOptions {
  return {
    run,
    spec: a.spec,
    format: (a.format ?? 'documentation') as CheckFormat,
    formatOptions: a.formatOptions ?? [],
    userdata: a.userdata,
    vars: a.vars ?? [],
    varsInline: a.varsInline,
    env: a.env ?? [],
  };
}

/** `-e NAME=VALUE` entries as an environment; InputError (exit 2) for a malformed one. */
export function parseEnvAssignments(entries: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of entries) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(e);
    if (!m)
      throw new InputError({
        code: 'BAD_ENV',
        message: `-e ${e}: expected NAME=VALUE with a name of letters, digits and _`,
        hint: 'e.g. -e OS=debian -e MACHINE_TYPE=machine',
      });
    env[m[1] as string] = m[2] as string;
  }
  return env;
}

/**
 * `kola check --image IMAGE SPEC`: validate the spec, vars and kolet before booting, boot one
 * machine of the image, install kolet on it, run the spec there (with --vars and -e as the
 * spec's .Vars and .Env; a spec with gossfile includes is uploaded with its directory), print
 * the report in the chosen goss format and keep it (and the JSON report) in the output
 * directory. Exit 0 when every check passed, 1 when one failed (nagios: 2), 2 for a bad spec,
 * 3 for a missing image/qemu/kolet.
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
      hint: 'pass --format documentation, json, tap, junit, ...',
    });
  }
  for (const o of opts.formatOptions ?? [])
    if (!(FORMAT_OPTIONS as readonly string[]).includes(o))
      throw new InputError({
        code: 'BAD_FORMAT_OPTION',
        message: `--format-options ${o}: expected one of ${FORMAT_OPTIONS.join(', ')}`,
        hint: 'e.g. -o pretty, -o sort',
      });
  const env = parseEnvAssignments(opts.env ?? []);
  // SPEC is a file the user named: a missing one is said as such (exit 2), before anything else.
  const specPath = await checkInputPath(opts.spec, { cwd: ctx.cwd, flag: 'SPEC' });
  const spec = await resolveCheckSpec(specPath, { baseDir: ctx.cwd, owner: 'kola check' });
  const hasVars = (opts.vars?.length ?? 0) > 0 || opts.varsInline !== undefined;
  const vars = hasVars
    ? await loadTemplateVars({ file: opts.vars, inline: opts.varsInline, cwd: ctx.cwd })
    : undefined;
  const includes = /^gossfile\s*:/m.test(spec.text) ? await specTree(specPath) : undefined;
  const kolet = deps.kolet ?? KoletAgent.load(ctx.env, ctx.logger);
  const userData = opts.userdata ? await readUserData(opts.userdata, ctx.cwd) : undefined;
  const { opts: run } = await chooseImage(opts.run, ctx.env, ctx.cwd);

  const booted = await bootOneMachine(run, ctx, {
    command: 'check',
    userData,
    kolet: { path: kolet.artifacts.executable, sha256: kolet.artifacts.sha256 },
    ...(deps.platforms ? { platforms: deps.platforms } : {}),
  });
  try {
    let specText = spec.text;
    if (includes) {
      // Includes resolve on the machine, relative to the spec there: a one-line spec that
      // includes the uploaded file runs it from its directory, templates rendered with the
      // machine's environment as goss would render them.
      const remoteSpec = await uploadSpecTree(booted.machine, includes);
      specText = `gossfile:\n  ${JSON.stringify(remoteSpec)}: {}\n`;
    }
    const r = await kolet.runChecks(booted.machine, specText, {
      ...(vars !== undefined ? { vars: templateVarsText(vars) } : {}),
      ...(Object.keys(env).length > 0 ? { env } : {}),
    });
    const report = checkReportFromJson(r.report, spec.file);
    const out = formatReport(report, opts.format, { options: opts.formatOptions ?? [] });
    // The goss report stays with the run: the chosen format and goss's JSON.
    const reports = [...new Set([REPORT_FILE[opts.format], REPORT_FILE.json])].map((f) =>
      join(booted.outputDir, f),
    );
    await writeFileAtomic(reports[0] as string, out.text);
    if (reports[1])
      await writeFileAtomic(reports[1], JSON.stringify(checkReportJson(report, ['pretty']), null, 4) + '\n');
    if (!ctx.json) ctx.stdout.write(out.text);
    ctx.setExitCode(r.passed ? ExitCode.Ok : out.exitCode === 0 ? ExitCode.Failure : out.exitCode);
    return {
      ...r.report,
      spec: spec.file,
      machine: r.machine,
      outputDir: booted.outputDir,
      reports,
      passed: r.passed,
    };
  } finally {
    await booted.close();
  }
}

interface SpecTree {
  root: string;
  spec: string;
  files: string[];
}

/** The spec files beside a spec with includes (its directory, recursively: yaml, yml, json). */
async function specTree(specPath: string): Promise<SpecTree> {
  const root = dirname(specPath);
  const files: string[] = [];
  let bytes = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && !e.name.startsWith('.')) await walk(p);
      } else if (e.isFile() && /\.(ya?ml|json)$/.test(e.name)) {
        bytes += (await stat(p)).size;
        files.push(relative(root, p));
        if (files.length > MAX_SPEC_FILES || bytes > MAX_SPEC_BYTES)
          throw new InputError({
            code: 'CHECK_SPEC_TREE_TOO_BIG',
            message: `kola check ${specPath}: the spec includes other files, and its directory ${root} holds more than ${MAX_SPEC_FILES} spec files or ${MAX_SPEC_BYTES >> 20} MiB`,
            hint: 'keep the spec and the files it includes in a directory of their own',
          });
      }
    }
  };
  await walk(root);
  return { root, spec: basename(specPath), files };
}

/** Copy the spec's directory to the machine; the remote path of the spec. */
async function uploadSpecTree(m: Machine, tree: SpecTree): Promise<string> {
  const dirs = [...new Set(tree.files.map((f) => dirname(f)).filter((d) => d !== '.'))].map(
    (d) => `${REMOTE_SPEC_DIR}/${d}`,
  );
  const mk = await m.ssh(
    `rm -rf ${shellQuote([REMOTE_SPEC_DIR])} && mkdir -p ${shellQuote([REMOTE_SPEC_DIR, ...dirs])}`,
    { user: 'root' },
  );
  if (mk.exitCode !== 0)
    throw new InputError({
      code: 'CHECK_SPEC_UPLOAD',
      message: `kola check: cannot create ${REMOTE_SPEC_DIR} on ${m.id}: ${mk.stderr.trim()}`,
      hint: 'the machine needs a writable /var/lib',
    });
  for (const f of tree.files)
    await m.copyFile(await readFile(join(tree.root, f)), `${REMOTE_SPEC_DIR}/${f}`, 0o644);
  return `${REMOTE_SPEC_DIR}/${tree.spec}`;
}

async function readUserData(file: string, cwd: string): Promise<string> {
  return readFile(await checkInputPath(file, { cwd, flag: '--userdata' }), 'utf8');
}
