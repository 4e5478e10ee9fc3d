// systemd units taken from the root filesystem name its programs (ExecStart=/usr/sbin/nginx), which
// do not exist on the host. Each Exec*= command is sent through flatwrap: to the wrapper when the
// program is one of the wrapped PATHs, else through the extension's runner (RUNNER PROGRAM ARGS),
// so every command runs inside the root filesystem. Commands the root filesystem does not have
// are left to the host. Only the program word changes; prefixes (-, @, +, !, :, |) and arguments
// stay as they were.

/** Directives that take a command line (systemd.service(5), systemd.socket(5)). */
const EXEC_KEYS = [
  'ExecCondition',
  'ExecStartPre',
  'ExecStart',
  'ExecStartPost',
  'ExecReload',
  'ExecStop',
  'ExecStopPre',
  'ExecStopPost',
] as const;

const LINE_RE = new RegExp(`^(\\s*)(${EXEC_KEYS.join('|')})(\\s*=\\s*)(.*)$`);

/** File names systemd treats as units, in a systemd/system or systemd/user directory (or a drop-in). */
const UNIT_PATH_RE = /\/systemd\/(system|user)\/(?:([^/]+\.d)\/)?([^/]+)$/;
const UNIT_SUFFIX_RE = /\.(service|socket|timer|path|mount|automount|swap|target|slice|scope)$/;

/** Where a unit (or drop-in) of the root filesystem goes in the extension, or undefined when `path` is no unit. */
export function unitTarget(path: string): string | undefined {
  const m = UNIT_PATH_RE.exec(path);
  if (!m) return undefined;
  const [, scope, dropIn, file] = m;
  if (
    dropIn
      ? !UNIT_SUFFIX_RE.test(dropIn.slice(0, -2)) || !file!.endsWith('.conf')
      : !UNIT_SUFFIX_RE.test(file!)
  )
    return undefined;
  return `/usr/lib/systemd/${scope}/${dropIn ? `${dropIn}/` : ''}${file}`;
}

/** One command of an Exec*= line. */
export interface ExecCommand {
  /** 1-based line number */
  line: number;
  key: string;
  /** the special prefixes (@, -, :, +, !, !!, |) */
  prefix: string;
  /** the program as written (unquoted) */
  path: string;
  /** the program word as it is in the file (with its quotes) */
  raw: string;
  /** what follows the program word (arguments, with their leading space) */
  rest: string;
}

/** How one program is to be started instead. */
export type ExecRoute = { wrapper: string } | { runner: string };

export interface UnitChange {
  line: number;
  key: string;
  from: string;
  to: string;
}

/** The Exec*= commands of a unit file (empty resets and unparsable lines are skipped). */
export function execCommands(text: string): ExecCommand[] {
  const out: ExecCommand[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // A line continued from the previous one (trailing backslash) holds no directive.
    if (i > 0 && /\\\r?$/.test(lines[i - 1]!)) continue;
    const m = LINE_RE.exec(lines[i]!);
    if (!m) continue;
    const cmd = parseCommand(m[4]!);
    if (cmd) out.push({ line: i + 1, key: m[2]!, ...cmd });
  }
  return out;
}

function parseCommand(value: string): Omit<ExecCommand, 'line' | 'key'> | undefined {
  const prefix = /^[@\-:+!|]*/.exec(value)![0];
  const body = value.slice(prefix.length);
  if (body === '' || /^\s/.test(body)) return undefined;
  if (body[0] === '"' || body[0] === "'") {
    const quote = body[0];
    let path = '';
    for (let i = 1; i < body.length; i++) {
      const c = body[i]!;
      if (c === '\\' && i + 1 < body.length) path += body[++i];
      else if (c === quote) return { prefix, path, raw: body.slice(0, i + 1), rest: body.slice(i + 1) };
      else path += c;
    }
    return undefined; // unterminated quote: systemd refuses the line, so do we (leave it as it is)
  }
  const raw = /^\S+/.exec(body)![0];
  return { prefix, path: raw.replace(/\\(.)/g, '$1'), raw, rest: body.slice(raw.length) };
}

/** Rewrite the Exec*= commands whose program `routes` knows; the rest of the file is kept byte for byte. */
export function rewriteUnit(
  text: string,
  routes: ReadonlyMap<string, ExecRoute>,
): { text: string; changes: UnitChange[] } {
  const lines = text.split('\n');
  const changes: UnitChange[] = [];
  for (const c of execCommands(text)) {
    const route = routes.get(c.path);
    if (!route) continue;
    const m = LINE_RE.exec(lines[c.line - 1]!)!;
    let rest = c.rest;
    let program: string;
    if ('wrapper' in route) {
      program = unitWord(route.wrapper);
    } else {
      // RUNNER PROGRAM ARGS; with @ the word after the program is argv[0], which stays next to it.
      let argv0 = '';
      if (c.prefix.includes('@')) {
        const a = /^\s+\S+/.exec(rest);
        if (a) {
          argv0 = a[0];
          rest = rest.slice(a[0].length);
        }
      }
      program = `${unitWord(route.runner)}${argv0} ${c.raw}`;
    }
    const value = `${c.prefix}${program}${rest}`;
    lines[c.line - 1] = `${m[1]}${m[2]}${m[3]}${value}`;
    changes.push({ line: c.line, key: c.key, from: m[4]!, to: value });
  }
  return { text: lines.join('\n'), changes };
}

/** A path as one word of a systemd command line: quoted when needed, % and $ escaped. */
export function unitWord(path: string): string {
  const escaped = path.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@.,:=+/-]+$/.test(escaped.replace(/[%$]/g, ''))) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
