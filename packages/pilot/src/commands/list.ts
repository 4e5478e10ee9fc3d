import { defineCommand, writeOut } from '@mantle/core/cli';
import type { FlakeInfo } from '../store/registry.js';
import { storeFor, storeOptions } from './store-options.js';

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
function formatTable(rows: string[][], header: string[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r.map((v, i) => (i + 1 === r.length ? v : v.padEnd(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** flake-ctl's CSV: fields with , " or newlines quoted, empty for values that could not be read. */
function csvLine(fields: string[]): string {
  return fields.map((f) => (/[,"\n\r]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}

interface Listing {
  format: 'table' | 'json' | 'csv';
  dir: string;
  flakes: FlakeInfo[];
}

/** `pilot list [--json | --format table|json|csv]` */
export const listSpec = defineCommand({
  command: 'list',
  examples: [
    ['$0 list', 'the registered apps (flake-ctl list)'],
    ['$0 list --json', 'as JSON'],
  ],
  describe: 'list the registered flakes',
  builder: (y) =>
    storeOptions(y).option('format', {
      choices: ['table', 'json', 'csv'] as const,
      default: 'table' as const,
      describe: 'table for people; json (same as --json) and csv for programs',
    }),
  run: async (args, ctx): Promise<FlakeInfo[] | Listing> => {
    const { listFlakes } = await import('../store/registry.js');
    const store = await storeFor(args, ctx);
    const flakes = await listFlakes(store);
    // --json prints what run returns: flake-ctl's list of records
    return ctx.json ? flakes : { format: args.format, dir: store.config.flakesDir, flakes };
  },
  print: (r, ctx) => {
    if (Array.isArray(r)) return;
    if (r.format === 'json') {
      writeOut(ctx, JSON.stringify(r.flakes, null, 2));
      return;
    }
    if (r.format === 'csv') {
      for (const f of r.flakes) writeOut(ctx, csvLine(rowOf(f, '')));
      return;
    }
    writeOut(ctx, `Flake applications registered in ${r.dir}`);
    writeOut(ctx, '');
    if (r.flakes.length === 0) writeOut(ctx, 'No application(s) registered');
    else
      for (const l of formatTable(
        r.flakes.map((f) => rowOf(f, '-')),
        COLUMNS,
      ))
        writeOut(ctx, l);
    for (const f of r.flakes) if (f.error) ctx.logger.warn(`${f.name}: ${f.error}`);
  },
});
