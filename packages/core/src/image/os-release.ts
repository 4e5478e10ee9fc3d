import { InputError } from '../errors/mantle-error.js';

// os-release(5) and Flatcar's version.txt are shell-compatible KEY=value lists: values may be
// unquoted, "double-quoted" (backslash escapes \" \\ \$ \` and line continuation) or
// 'single-quoted' (literal). We parse them without a shell.

/** Parse KEY=value text (os-release, version.txt, extension-release). Bad lines are InputErrors naming file and line. */
export function parseOsRelease(text: string, source = 'os-release'): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const lineNo = i + 1;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) {
      throw new InputError({
        code: 'OS_RELEASE_BAD_LINE',
        message: `${source}:${lineNo}: expected KEY=value, got ${JSON.stringify(trimmed.slice(0, 80))}`,
        hint: 'fix the line (see os-release(5))',
        details: { file: source, line: lineNo },
      });
    }
    let raw = m[2]!;
    // A double-quoted value may continue on the next lines.
    while (openQuote(raw) && i + 1 < lines.length) {
      i++;
      line = lines[i]!;
      raw += '\n' + line;
    }
    const value = unquote(raw, `${source}:${lineNo}`);
    out[m[1]!] = value;
  }
  return out;
}

function openQuote(raw: string): boolean {
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (quote === '"') {
      if (c === '\\') i++;
      else if (c === '"') quote = undefined;
    } else if (c === '\\') i++;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(raw[i - 1]!))) return false;
  }
  return quote !== undefined;
}

function unquote(raw: string, where: string): string {
  let out = '';
  let quote: '"' | "'" | undefined;
  const s = raw.replace(/\s+$/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else out += c;
    } else if (quote === '"') {
      if (c === '\\' && i + 1 < s.length) {
        const n = s[i + 1]!;
        if (n === '\n') {
          i++;
        } else if ('"\\$`'.includes(n)) {
          out += n;
          i++;
        } else out += c;
      } else if (c === '"') quote = undefined;
      else out += c;
    } else if (c === '\\' && i + 1 < s.length) {
      out += s[++i];
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (/\s/.test(c)) {
      // Unquoted whitespace ends the value; only a comment may follow.
      const rest = s.slice(i).trim();
      if (rest !== '' && !rest.startsWith('#')) {
        throw new InputError({
          code: 'OS_RELEASE_BAD_LINE',
          message: `${where}: value has unquoted whitespace (${JSON.stringify(raw.slice(0, 80))})`,
          hint: 'quote values that contain spaces',
        });
      }
      break;
    } else out += c;
  }
  if (quote) {
    throw new InputError({
      code: 'OS_RELEASE_BAD_LINE',
      message: `${where}: unterminated ${quote} quote`,
      hint: 'close the quote',
    });
  }
  return out;
}

/** The fields of Flatcar's version.txt. */
export interface FlatcarVersion {
  /** FLATCAR_VERSION, e.g. 4081.2.0 (or 4081.2.0+nightly-...) */
  version: string;
  /** FLATCAR_VERSION_ID */
  versionId?: string;
  /** FLATCAR_BUILD_ID */
  buildId?: string;
  /** FLATCAR_SDK_VERSION */
  sdkVersion?: string;
  /** every KEY=value of the file */
  fields: Record<string, string>;
}

/** Parse Flatcar's version.txt (FLATCAR_VERSION=..., ...). VERSION_TXT_INVALID when FLATCAR_VERSION is missing. */
export function parseVersionTxt(text: string, source = 'version.txt'): FlatcarVersion {
  const fields = parseOsRelease(text, source);
  const version = fields.FLATCAR_VERSION;
  if (!version) {
    throw new InputError({
      code: 'VERSION_TXT_INVALID',
      message: `${source} has no FLATCAR_VERSION=`,
      hint: 'pass the version.txt published next to the Flatcar image',
      details: { file: source },
    });
  }
  return {
    version,
    ...(fields.FLATCAR_VERSION_ID ? { versionId: fields.FLATCAR_VERSION_ID } : {}),
    ...(fields.FLATCAR_BUILD_ID ? { buildId: fields.FLATCAR_BUILD_ID } : {}),
    ...(fields.FLATCAR_SDK_VERSION ? { sdkVersion: fields.FLATCAR_SDK_VERSION } : {}),
    fields,
  };
}
