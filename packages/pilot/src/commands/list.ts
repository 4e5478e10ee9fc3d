import { writeOut, type CommandContext, type CommandSpec } from '@mantle/core/cli';
import type { FlakeInfo } from '../store/registry.js';
import { storeFor, storeOptions, type StoreArgs } from './store-options.js';

interface ListArgs extends StoreArgs {
  format: 'table' | 'json' | 'csv';
}

const COLUMNS = ['NAME', 'ENGINE', 'TARGET APP PATH', 'HOST APP PATH', 'CONFIG'];

function rowOf(f: FlakeInfo, none: string): string[] {
  return [
    f.name,
    f.engine ?? (f.error ? 'invalid' : none),
    f.target ?? none,
    f.host_app_path ?? none,
    f.config,
  ];
}

/** flake-ctl's table: a headline, a ruler, columns two spaces apart, the last not padded. */
export function formatTable(rows: string[][], header: string[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r.map((v, i) => (i + 1 === r.length ? v : v.padEnd(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** flake-ctl's CSV: fields with , " or newlines quoted, empty for values that could not be read. */
export function csvLine(fields: string[]): string {
  return fields.map((f) => (/[,"\n\r]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}

/** `pilot list [--json | --format table|json|csv]` */
export const listSpec: CommandSpec<ListArgs> = {
  command: 'list',
  describe: 'list the registered flakes',
  builder: (y) =>
    storeOptions(y).option('format', {
      choices: ['table', 'json', 'csv'] as const,
      default: 'table' as const,
      describe: 'table for people; json (same as --json) and csv for programs',
    }),
  run: async (args, ctx) => {
    const { listFlakes } = await import('../store/registry.js');
    const store = await storeFor(args, ctx);
    const flakes = await listFlakes(store);
    return args.format === 'json' && !ctx.json
      ? { json: flakes }
      : ctx.json
        ? flakes
        : { format: args.format, dir: store.config.flakesDir, flakes };
  },
  print: (
    r: { json?: FlakeInfo[]; format?: string; dir?: string; flakes?: FlakeInfo[] },
    ctx: CommandContext,
  ) => {
    if (r.json) {
      writeOut(ctx, JSON.stringify(r.json, null, 2));
      return;
    }
    const flakes = r.flakes ?? [];
    if (r.format === 'csv') {
      for (const f of flakes) writeOut(ctx, csvLine(rowOf(f, '')));
      return;
    }
    writeOut(ctx, `Flake applications registered in ${r.dir}`);
    writeOut(ctx, '');
    if (flakes.length === 0) writeOut(ctx, 'No application(s) registered');
    else
      for (const l of formatTable(
        flakes.map((f) => rowOf(f, '-')),
        COLUMNS,
      ))
        writeOut(ctx, l);
    for (const f of flakes) if (f.error) ctx.logger.warn(`${f.name}: ${f.error}`);
  },
};
