import type { Logger } from '@mantle/core/log';

/** One API call a dry run would have made. */
export interface PlannedCall {
  service: string;
  operation: string;
  input: Record<string, unknown>;
}

/**
 * The calls of a dry run: printed (stderr, as they happen) and returned (`--json`). Nothing is
 * sent: reads are answered empty, writes with placeholder ids, so the plan shows the whole flow
 * as it would run against an account that has none of the resources yet.
 */
export class DryRun {
  readonly calls: PlannedCall[] = [];
  constructor(private readonly logger?: Logger) {}

  record(service: string, operation: string, input: Record<string, unknown>): void {
    this.calls.push({ service, operation, input });
    this.logger?.info(`dry run: ${service} ${operation} ${summarize(input)}`);
  }
}

function summarize(input: Record<string, unknown>): string {
  const text = JSON.stringify(input, (_k, v: unknown) =>
    v instanceof Uint8Array
      ? `<${v.length} bytes>`
      : typeof v === 'object' && v !== null && 'pipe' in v
        ? '<stream>'
        : v,
  );
  return text.length > 400 ? text.slice(0, 400) + '…' : text;
}
