import type { CommandContext } from '@mantle/core';
import { loadCheckSpec } from '../checks/parse-spec.js';
import { runChecks } from '../checks/run-checks.js';
import { formatCheckReport, summaryLine, type CheckFormat } from '../checks/format/format-report.js';
import type { CheckReport } from '../checks/types.js';

export interface CheckSpecCommandOptions {
  /** a YAML file, or '-' for stdin */
  spec: string;
  format: CheckFormat;
  timeoutMs?: number | undefined;
  retryTimeoutMs?: number | undefined;
  sleepMs?: number | undefined;
  maxConcurrent?: number | undefined;
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
 * `kolet check SPEC`: validate the spec (exit 2 naming the key and line), run its checks,
 * print them in the chosen format, exit 1 when any failed.
 */
export async function checkSpecCommand(
  opts: CheckSpecCommandOptions,
  ctx: CommandContext,
): Promise<CheckReport> {
  const spec = await loadCheckSpec(opts.spec, { cwd: ctx.cwd, stdin: opts.readStdin ?? readAllStdin });
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
