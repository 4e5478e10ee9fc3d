import type { CommandContext } from '@mantle/core/cli';
import { renderSpec } from '../checks/render-spec.js';
import { loadTemplateVars } from '../checks/vars.js';
import { readAllStdin } from './check-command.js';

export interface RenderCommandOptions {
  spec: string;
  vars?: readonly string[] | undefined;
  varsInline?: string | undefined;
  /** print each file as its template rendered it, before the merged spec (goss render --debug) */
  debug?: boolean;
  readStdin?: () => Promise<string>;
}

/**
 * `kolet render SPEC` (goss render): the spec with its gossfile includes rendered and merged
 * into one spec on stdout, YAML (JSON for a .json spec). Invalid input exits 2 as `check` does.
 */
export async function renderCommand(opts: RenderCommandOptions, ctx: CommandContext): Promise<string> {
  const vars = await loadTemplateVars({ file: opts.vars, inline: opts.varsInline, cwd: ctx.cwd });
  const text = await renderSpec(opts.spec, {
    cwd: ctx.cwd,
    stdin: opts.readStdin ?? readAllStdin,
    template: { vars, env: ctx.env, cwd: ctx.cwd },
    ...(opts.debug
      ? {
          onRendered: (file: string, rendered: string) =>
            ctx.stdout.write(`DEBUG: file after text/template render (${file})\n${rendered}\n`),
        }
      : {}),
  });
  ctx.stdout.write(text);
  return text;
}
