import type { CommandContext } from '@mantle/core/cli';
import { paint } from '@mantle/core/log';
import type { PackageManager } from '../checks/context.js';
import { formatReport, summaryLine, type CheckFormat } from '../checks/format/format-report.js';
import { loadCheckSpec } from '../checks/load-spec.js';
import { runChecks } from '../checks/run-checks.js';
import type { CheckReport } from '../checks/types.js';
import { loadTemplateVars } from '../checks/vars.js';

export interface CheckSpecCommandOptions {
  /** a YAML or JSON file, or '-' for stdin */
  spec: string;
  format: CheckFormat;
  /** goss's --format-options */
  formatOptions?: readonly string[];
  color?: boolean;
  timeoutMs?: number | undefined;
  retryTimeoutMs?: number | undefined;
  sleepMs?: number | undefined;
  maxConcurrent?: number | undefined;
  /** `--vars FILE` (repeatable): YAML or JSON variables for templated specs (`{{ .Vars.x }}`) */
  vars?: readonly string[] | undefined;
  /** `--vars-inline TEXT`: YAML or JSON variables, over those of --vars */
  varsInline?: string | undefined;
  packageManager?: PackageManager | undefined;
  /** reads all of stdin (for spec '-') */
  readStdin?: () => Promise<string>;
}

/** Read all of process.stdin as text. */
export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Formats a program reads: with retries only the last attempt is printed (goss prints every one). */
const MACHINE_FORMATS: ReadonlySet<CheckFormat> = new Set(['json', 'junit', 'structured', 'prometheus']);

/**
 * `kolet check SPEC` (goss validate): render the spec and its includes as templates, validate
 * them (exit 2 naming the file, line and key), run the checks, print them in the chosen
 * format. The exit code is the format's, as goss's: 0 passed, 1 failed (nagios: 2). With a
 * retry timeout a failing run is repeated, each attempt printed as goss prints it.
 */
export async function checkSpecCommand(
  opts: CheckSpecCommandOptions,
  ctx: CommandContext,
): Promise<CheckReport> {
  const vars = await loadTemplateVars({ file: opts.vars, inline: opts.varsInline, cwd: ctx.cwd });
  const spec = await loadCheckSpec(opts.spec, {
    cwd: ctx.cwd,
    stdin: opts.readStdin ?? readAllStdin,
    template: { vars, env: ctx.env, cwd: ctx.cwd },
  });
  for (const w of spec.warnings ?? []) ctx.logger.warn(w);
  const machine = MACHINE_FORMATS.has(opts.format);
  const formatOpts = { options: opts.formatOptions ?? [], color: opts.color ?? false };
  let attempt = 1;
  const report = await runChecks(spec, {
    signal: ctx.signal,
    env: ctx.env,
    cwd: ctx.cwd,
    timeoutMs: opts.timeoutMs,
    retryTimeoutMs: opts.retryTimeoutMs,
    sleepMs: opts.sleepMs,
    concurrency: opts.maxConcurrent,
    packageManager: opts.packageManager,
    onWarning: (m) => ctx.logger.warn(m),
    onRetry: (n, r, sleepMs, elapsedMs) => {
      attempt = n + 1;
      const retrying = `Retrying in ${formatSeconds(sleepMs)} (elapsed/timeout time: ${(elapsedMs / 1000).toFixed(3)}s/${formatSeconds(opts.retryTimeoutMs ?? 0)})`;
      if (machine) {
        ctx.logger.info(`attempt ${n}: ${summaryLine(r)}; ${retrying}`);
        return;
      }
      ctx.stdout.write(formatReport(r, opts.format, formatOpts).text);
      ctx.stdout.write(`${paint('red', retrying, formatOpts.color)}\n\n\n`);
      ctx.stdout.write(`Attempt #${attempt}:\n`);
    },
  });
  const out = formatReport(report, opts.format, formatOpts);
  ctx.stdout.write(out.text);
  if (report.summary.failed > 0 && (opts.retryTimeoutMs ?? 0) > 0)
    ctx.logger.error(
      `timeout of ${formatSeconds(opts.retryTimeoutMs ?? 0)} reached before tests entered a passing state`,
    );
  ctx.setExitCode(out.exitCode);
  return report;
}

/** Go's Duration String for whole milliseconds: 1s, 1.5s, 2m0s, 500ms. */
function formatSeconds(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  return m >= 60
    ? `${Math.floor(m / 60)}h${m % 60}m${rest}s`
    : `${m}m${Number.isInteger(rest) ? rest : rest.toFixed(3)}s`;
}
