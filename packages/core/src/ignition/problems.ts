// Collects what is wrong with a config, each problem tied to its path inside the config and,
// when the config came from text, to the line and column it was written on.
import { InputError } from '../errors/index.js';

/** A path inside a config: object keys and list indexes. */
export type ConfigPath = readonly (string | number)[];

/** One thing wrong (or suspicious) in a config. */
export interface IgnitionProblem {
  /** stable code, e.g. IGNITION_UNKNOWN_KEY */
  code: string;
  /**
   * error: the config is refused. warning: what Butane or Ignition warns about (fatal with
   * --strict). notice: what mantle points out beyond them — never fatal, so --strict refuses
   * exactly what `butane --strict` refuses.
   */
  severity: 'error' | 'warning' | 'notice';
  /** the path as the user wrote it: Butane keys for Butane input, Ignition keys otherwise */
  path: string;
  message: string;
  hint?: string;
  /** 1-based line and column in the source text, when known */
  line?: number;
  column?: number;
}

/** Where a config value was written. */
export interface SourceLocation {
  line: number;
  column: number;
  /** the path as written in the source (Butane keys for YAML) */
  display: string;
}

/** Format a config path the way users read it: storage.files[2].mode. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out === '' ? '(top level)' : out;
}

/** A problem as one line of text: `file:line:col: path: message`. */
export function formatProblem(p: IgnitionProblem, source?: string): string {
  const where =
    p.line === undefined ? (source ?? '<input>') : `${source ?? '<input>'}:${p.line}:${p.column ?? 1}`;
  return `${where}: ${p.path}: ${p.message}`;
}

/** Gathers problems for one config; maps config paths to source locations when it can. */
export class ProblemList {
  readonly items: IgnitionProblem[] = [];
  /** formatted JSON path → where it was written */
  readonly locations = new Map<string, SourceLocation>();

  constructor(readonly source?: string) {}

  /** Record that the value at `path` came from `loc`. */
  locate(path: ConfigPath, loc: SourceLocation): void {
    this.locations.set(formatPath(path), loc);
  }

  /** Make `to` point where `from` was written (for values the translator generated). */
  alias(from: ConfigPath, to: ConfigPath): void {
    const loc = this.locations.get(formatPath(from));
    if (loc) this.locations.set(formatPath(to), loc);
  }

  /** The nearest recorded location of `path` or of one of its parents. */
  find(path: ConfigPath): { loc: SourceLocation; rest: ConfigPath } | undefined {
    for (let n = path.length; n >= 0; n--) {
      const loc = this.locations.get(formatPath(path.slice(0, n)));
      if (loc) return { loc, rest: path.slice(n) };
    }
    return undefined;
  }

  /** A path as the user wrote it, with its line when known: `storage.files[0] (line 6)`. */
  describe(path: ConfigPath): string {
    const found = this.find(path);
    if (!found) return formatPath(path);
    const shown = found.rest.length === 0 ? found.loc.display : joinDisplay(found.loc.display, found.rest);
    return `${shown} (line ${found.loc.line})`;
  }

  error(code: string, path: ConfigPath, message: string, hint?: string): void {
    this.add('error', code, path, message, hint);
  }

  warn(code: string, path: ConfigPath, message: string, hint?: string): void {
    this.add('warning', code, path, message, hint);
  }

  /** Point something out that neither Butane nor Ignition warns about (never fatal). */
  notice(code: string, path: ConfigPath, message: string, hint?: string): void {
    this.add('notice', code, path, message, hint);
  }

  /** Add a problem at an explicit line/column (syntax errors, which have no config path). */
  addAt(
    severity: 'error' | 'warning',
    code: string,
    line: number,
    column: number,
    message: string,
    hint?: string,
  ): void {
    this.items.push({ code, severity, path: '(syntax)', message, line, column, ...(hint ? { hint } : {}) });
  }

  private add(
    severity: 'error' | 'warning' | 'notice',
    code: string,
    path: ConfigPath,
    message: string,
    hint?: string,
  ): void {
    const found = this.find(path);
    const display = found
      ? found.rest.length === 0
        ? found.loc.display
        : joinDisplay(found.loc.display, found.rest)
      : formatPath(path);
    this.items.push({
      code,
      severity,
      path: display,
      message,
      ...(hint ? { hint } : {}),
      ...(found ? { line: found.loc.line, column: found.loc.column } : {}),
    });
  }

  get errors(): IgnitionProblem[] {
    return this.items.filter((p) => p.severity === 'error');
  }

  /** Warnings and notices: what does not stop the translation. */
  get warnings(): IgnitionProblem[] {
    return this.items.filter((p) => p.severity !== 'error');
  }

  hasErrors(): boolean {
    return this.items.some((p) => p.severity === 'error');
  }

  /** Warning lines, each with its hint: a warning does not stop anything, so the way out goes with it. */
  warningLines(): string[] {
    return this.warnings.map((p) => `${formatProblem(p, this.source)}${p.hint ? `; ${p.hint}` : ''}`);
  }

  /**
   * Throw one InputError listing every error (and, when `strict`, every warning; notices never). Its code is
   * the first error's code so callers can branch on it; details.problems has them all.
   */
  throwIfErrors(strict = false, what = 'config'): void {
    const fatal = strict ? this.items.filter((p) => p.severity !== 'notice') : this.errors;
    if (fatal.length === 0) return;
    const first = fatal[0]!;
    const lines = fatal.map((p) => formatProblem(p, this.source));
    const message =
      lines.length === 1
        ? lines[0]!
        : `${lines.length} problems in ${this.source ?? `the ${what}`}:\n  ${lines.join('\n  ')}`;
    throw new InputError({
      code: first.code,
      message,
      hint: first.hint ?? `fix the ${what} at the place named above`,
      details: { source: this.source, problems: fatal },
    });
  }
}

function joinDisplay(display: string, rest: ConfigPath): string {
  const tail = formatPath(rest);
  return rest.length > 0 && typeof rest[0] === 'number' ? `${display}${tail}` : `${display}.${tail}`;
}
