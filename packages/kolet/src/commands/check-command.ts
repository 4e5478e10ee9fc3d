import type { CommandContext } from '@mantle/core/cli';
import { loadCheckSpec } from '../checks/load-spec.js';
import { runChecks } from '../checks/run-checks.js';
import { formatCheckReport, summaryLine, type CheckFormat } from '../checks/format/format-report.js';
import type { CheckReport } from '../checks/types.js';
import { loadTemplateVars } from '../checks/vars.js';

export interface CheckSpecCommandOptions {
  /** a YAML file, or '-' for stdin */
  spec: string;
  format: CheckFormat;
  timeoutMs?: number | undefined;
  retryTimeoutMs?: number | undefined;
  sleepMs?: number | undefined;
  maxConcurrent?: number | undefined;
  /** `--vars FILE`: YAML or JSON variables for templated specs (`{{ .Vars.x }}`) */
  vars?: string | undefined;
  /** `--vars-inline TEXT`: YAML or JSON variables, over those of --vars */
  varsInline?: string | undefined;
  /** reads all of stdin (for spec '-') */
  readStdin?: () => Promise<string>;
}

/** Read all of process.stdin as text. */
export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `kolet check SPEC`: render the spec and its includes as templates, validate them (exit 2
 * naming the file, line and key), run the checks, print them in the chosen format, exit 1 when
 * any failed.
 */
export async function checkSpecCommand(
  opts: CheckSpecCommandOptions,
  ctx: CommandContext,
): Promise<CheckReport> {
  const vars = await loadTemplateVars({ file: opts.vars, inline: opts.varsInline, cwd: ctx.cwd });
  const spec = await loadCheckSpec(opts.spec, {
    cwd: ctx.cwd,
    stdin: opts.readStdin ?? readAllStdin,
    template: { vars, env: ctx.env },
  });
  for (const w of spec.warnings ?? []) ctx.logger.warn(w);
  const report = await runChecks(spec, {
    signal: ctx.signal,
    env: ctx.env,
    timeoutMs: opts.timeoutMs,
    retryTimeoutMs: opts.retryTimeoutMs,
    sleepMs: opts.sleepMs,
    concurrency: opts.maxConcurrent,
    onRetry: (attempt, r) => ctx.logger.info(`attempt ${attempt}: ${summaryLine(r)}; retrying`),
  });
  ctx.stdout.write(formatCheckReport(report, opts.format));
  ctx.setExitCode(report.summary.failed > 0 ? 1 : 0);
  return report;
}
