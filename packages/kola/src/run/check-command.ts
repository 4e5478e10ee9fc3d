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
  /** the spec files (goss YAML or JSON; templates and gossfile includes as goss), run in turn on one machine */
  specs: readonly string[];
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
  /** goss's --max-concurrent on the machine (kolet's default when undefined) */
  maxConcurrent?: number | undefined;
}

/** One spec's outcome: kolet's JSON report plus where it ran. */
export interface CheckCommandResult extends CheckReportJson {
  spec: string;
  machine: string;
  outputDir: string;
  /** the goss report files kept in the output directory */
  reports: string[];
  passed: boolean;
}

/** What `kola check` returns (and prints with --json) for several specs: one result each. */
export interface CheckCommandResults {
  machine: string;
  outputDir: string;
  checks: CheckCommandResult[];
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
export function checkOptionsFromArgs(
  a: CheckArgs & { spec: string | string[] },
  run: RunOptions,
): CheckCommandOptions {
  return {
    run,
    specs: Array.isArray(a.spec) ? a.spec : [a.spec],
    format: (a.format ?? 'documentation') as CheckFormat,
    formatOptions: a.formatOptions ?? [],
    userdata: a.userdata,
    vars: a.vars ?? [],
    varsInline: a.varsInline,
    env: a.env ?? [],
    maxConcurrent: a.maxConcurrent,
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

/** A spec read and validated before booting, with the files its includes need. */
interface PreparedSpec {
  path: string;
  text: string;
  file: string;
  includes: SpecTree | undefined;
  /** report file names: the format's and goss's JSON (several specs: prefixed by the spec's name) */
  reportNames: string[];
}

/**
 * The report files of each spec: one spec keeps `check-report.<ext>`; several keep
 * `check-report-<spec name>.<ext>` (a name seen before gets `-2`, `-3`, ...).
 */
function reportNames(specPaths: readonly string[], format: CheckFormat): string[][] {
  const base = [...new Set([REPORT_FILE[format], REPORT_FILE.json])];
  if (specPaths.length === 1) return [base];
  const seen = new Map<string, number>();
  return specPaths.map((p) => {
    const stem = basename(p).replace(/\.(ya?ml|json)$/, '');
    const n = (seen.get(stem) ?? 0) + 1;
    seen.set(stem, n);
    const name = n === 1 ? stem : `${stem}-${n}`;
    return base.map((f) => f.replace(/^check-report/, `check-report-${name}`));
  });
}

/**
 * `kola check --image IMAGE SPEC...`: validate the specs, vars and kolet before booting, boot one
 * machine of the image, install kolet on it, run each spec there in turn (with --vars and -e as
 * the spec's .Vars and .Env; a spec with gossfile includes is uploaded with its directory), print
 * each report in the chosen goss format and keep it (and the JSON report) in the output
 * directory. Exit 0 when every check of every spec passed, 1 when one failed (nagios: 2), 2 for
 * a bad spec, 3 for a missing image/qemu/kolet. One spec returns its result; several return
 * one result per spec.
 */
export async function checkCommand(
  opts: CheckCommandOptions,
  ctx: CommandContext,
  deps: { platforms?: Record<string, PlatformFactory>; kolet?: KoletAgent } = {},
): Promise<CheckCommandResult | CheckCommandResults> {
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
  if (opts.specs.length === 0)
    throw new InputError({
      code: 'NO_SPEC',
      message: 'kola check: no SPEC given',
      hint: 'e.g. kola check --image systemd spec.yaml',
    });
  const env = parseEnvAssignments(opts.env ?? []);
  if (opts.maxConcurrent !== undefined && !(Number.isInteger(opts.maxConcurrent) && opts.maxConcurrent >= 1))
    throw new InputError({
      code: 'BAD_CONCURRENCY',
      message: `--max-concurrent ${String(opts.maxConcurrent)}: expected a whole number of at least 1`,
      hint: 'e.g. --max-concurrent 8 (1 runs the checks one after another)',
    });
  // Every SPEC is a file the user named: a missing or invalid one is said as such (exit 2)
  // before anything boots.
  const names = reportNames(opts.specs, opts.format);
  const specs: PreparedSpec[] = [];
  for (const [i, s] of opts.specs.entries()) {
    const path = await checkInputPath(s, { cwd: ctx.cwd, flag: 'SPEC' });
    const spec = await resolveCheckSpec(path, { baseDir: ctx.cwd, owner: 'kola check' });
    const includes = /^gossfile\s*:/m.test(spec.text) ? await specTree(path) : undefined;
    specs.push({ path, text: spec.text, file: spec.file, includes, reportNames: names[i] ?? [] });
  }
  const hasVars = (opts.vars?.length ?? 0) > 0 || opts.varsInline !== undefined;
  const vars = hasVars
    ? await loadTemplateVars({ file: opts.vars, inline: opts.varsInline, cwd: ctx.cwd })
    : undefined;
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
    const results: CheckCommandResult[] = [];
    let worst: number = ExitCode.Ok;
    let uploaded: string | undefined;
    for (const spec of specs) {
      let specText = spec.text;
      if (spec.includes) {
        // Includes resolve on the machine, relative to the spec there: a one-line spec that
        // includes the uploaded file runs it from its directory, templates rendered with the
        // machine's environment as goss would render them. Specs of one directory share an upload.
        if (uploaded !== spec.includes.root) await uploadSpecTree(booted.machine, spec.includes);
        uploaded = spec.includes.root;
        specText = `gossfile:\n  ${JSON.stringify(`${REMOTE_SPEC_DIR}/${spec.includes.spec}`)}: {}\n`;
      }
      const r = await kolet.runChecks(booted.machine, specText, {
        ...(vars !== undefined ? { vars: templateVarsText(vars) } : {}),
        ...(Object.keys(env).length > 0 ? { env } : {}),
        ...(opts.maxConcurrent !== undefined ? { maxConcurrent: opts.maxConcurrent } : {}),
      });
      const report = checkReportFromJson(r.report, spec.file);
      const out = formatReport(report, opts.format, { options: opts.formatOptions ?? [] });
      // The goss report stays with the run: the chosen format and goss's JSON.
      const reports = spec.reportNames.map((f) => join(booted.outputDir, f));
      await writeFileAtomic(reports[0] as string, out.text);
      if (reports[1])
        await writeFileAtomic(
          reports[1],
          JSON.stringify(checkReportJson(report, ['pretty']), null, 4) + '\n',
        );
      if (!ctx.json) ctx.stdout.write(out.text);
      const code = r.passed ? ExitCode.Ok : out.exitCode === 0 ? ExitCode.Failure : out.exitCode;
      worst = Math.max(worst, code);
      results.push({
        ...r.report,
        spec: spec.file,
        machine: r.machine,
        outputDir: booted.outputDir,
        reports,
        passed: r.passed,
      });
    }
    ctx.setExitCode(worst);
    if (results.length === 1) return results[0] as CheckCommandResult;
    return {
      machine: booted.machine.id,
      outputDir: booted.outputDir,
      checks: results,
      passed: results.every((r) => r.passed),
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
async function uploadSpecTree(m: Machine, tree: SpecTree): Promise<void> {
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
}

async function readUserData(file: string, cwd: string): Promise<string> {
  return readFile(await checkInputPath(file, { cwd, flag: '--userdata' }), 'utf8');
}
