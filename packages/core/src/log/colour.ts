import { styleText } from 'node:util';

/** The styles mantle uses: PASS, FAIL/errors, warnings and skips. */
export type ColourStyle = 'green' | 'red' | 'yellow';

/**
 * Whether to colour what goes to `stream`: FORCE_COLOR (anything but 0/false) turns it on, NO_COLOR
 * turns it off, else only a terminal that is not `dumb` gets colour (never a pipe or a file).
 * The env is passed in (not process.env) so in-process commands decide by their own env.
 */
export function colourEnabled(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return (stream as { isTTY?: boolean }).isTTY === true && env.TERM !== 'dumb';
}

/**
 * `text` in `style` when `on`, else as is. The decision is colourEnabled's: node's styleText is
 * asked for the escape codes only (validateStream: false), because its own check reads
 * process.env and process.stdout, not the command's injected env and stream.
 */
export function paint(style: ColourStyle, text: string, on: boolean): string {
  return on ? styleText(style, text, { validateStream: false }) : text;
}

/** A painter bound to one stream's decision. */
export function painterFor(
  stream: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv,
): (style: ColourStyle, text: string) => string {
  const on = colourEnabled(stream, env);
  return (style, text) => paint(style, text, on);
}
