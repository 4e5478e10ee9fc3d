import type { TestFlag } from '../registry/flags.js';
import { CONSOLE_PATTERNS, type ConsolePattern } from './patterns.js';

/** A console line that matched a check. */
export interface ConsoleMatch {
  /** 1-based line number in the console text */
  line: number;
  /** the line, without ANSI escapes and trailing CR */
  text: string;
  id: string;
  description: string;
}

export interface CheckConsoleOptions {
  /** the test's flags: `no-console-check` disables everything, others their own pattern */
  skipFlags?: readonly TestFlag[];
  patterns?: readonly ConsolePattern[];
}

// CSI sequences (colours, cursor moves) and other ESC sequences systemd and the kernel emit.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]/g;

/** Strip ANSI escapes and carriage returns from console text. */
export function cleanConsoleLine(line: string): string {
  return line.replace(ANSI, '').replace(/\r/g, '');
}

/**
 * Scan console text for the known bad lines. Each line is reported at most once, with the first
 * pattern (in CONSOLE_PATTERNS order) that matches it and is not turned off by a skip flag.
 */
export function checkConsole(text: string, opts: CheckConsoleOptions = {}): ConsoleMatch[] {
  const flags = opts.skipFlags ?? [];
  if (flags.includes('no-console-check')) return [];
  const patterns = (opts.patterns ?? CONSOLE_PATTERNS).filter(
    (p) => !p.skipFlag || !flags.includes(p.skipFlag),
  );
  const matches: ConsoleMatch[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const clean = cleanConsoleLine(lines[i] ?? '');
    if (clean.length === 0) continue;
    const p = patterns.find((pat) => pat.regex.test(clean));
    if (p) matches.push({ line: i + 1, text: clean.trim(), id: p.id, description: p.description });
  }
  return matches;
}

/** Format a match the way `kola check-console` prints it: `FILE:LINE: desc: line`. */
export function formatConsoleMatch(file: string, m: ConsoleMatch): string {
  return `${file}:${m.line}: ${m.description}: ${m.text}`;
}

/** The last `n` lines of console text (for timeout reports). */
export function consoleTail(text: string, n = 30): string[] {
  const lines = text.split('\n').map(cleanConsoleLine);
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  return lines.slice(-n);
}
