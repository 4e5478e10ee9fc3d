import { writeTo } from '../cli/closed-output.js';
import { redactText } from './redact.js';

export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  level: LogLevel;
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  trace(msg: string): void;
  /** a child logger whose lines are prefixed, e.g. `qemu[m1]` */
  child(prefix: string): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** where log lines go; stderr by default so stdout stays data */
  stream?: NodeJS.WritableStream;
  prefix?: string;
  /** prefix each line with the elapsed seconds since the logger was made */
  timestamps?: boolean;
}

/** A small leveled logger writing redacted lines to stderr. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const stream = opts.stream ?? process.stderr;
  const start = Date.now();
  const state = { level: opts.level ?? 'info' };
  const make = (prefix: string | undefined): Logger => {
    const emit = (lvl: LogLevel, msg: string): void => {
      if (LOG_LEVELS.indexOf(lvl) > LOG_LEVELS.indexOf(state.level)) return;
      const parts: string[] = [];
      if (opts.timestamps) parts.push(`[${((Date.now() - start) / 1000).toFixed(1)}s]`);
      if (lvl === 'error' || lvl === 'warn') parts.push(`${lvl}:`);
      if (prefix) parts.push(`${prefix}:`);
      parts.push(redactText(msg));
      // A closed stderr (`2>&1 | head`) drops log lines instead of failing the command.
      writeTo(stream, parts.join(' ') + '\n');
    };
    return {
      get level() {
        return state.level;
      },
      set level(l: LogLevel) {
        state.level = l;
      },
      error: (m) => emit('error', m),
      warn: (m) => emit('warn', m),
      info: (m) => emit('info', m),
      debug: (m) => emit('debug', m),
      trace: (m) => emit('trace', m),
      child: (p) => make(prefix ? `${prefix}/${p}` : p),
    };
  };
  return make(opts.prefix);
}

/** A logger that prints nothing, for library callers that pass none. */
export const silentLogger: Logger = createLogger({ level: 'silent' });
