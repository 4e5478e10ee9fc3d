import { throwMalformed, type SourceFile } from './source.js';

/** Sections of an INI file: section name → key → value (ini turns `true`/`false` into booleans). */
export type IniSections = Record<string, Record<string, unknown>>;

const HEADER = /^\[([^\]]*)\]\s*(?:[#;].*)?$/;
const SETTING = /^[^=\s[][^=]*=/;

/**
 * Parse an INI credentials file (AWS style). The `ini` package accepts almost anything and
 * reports no line numbers, so lines are checked first: every line must be blank, a comment, a
 * `[section]` or a `key = value` inside a section. Indented lines are the nested settings AWS
 * allows under `s3 =`; they are never credentials and are dropped. Dots in section names are
 * escaped so `[profile a.b]` stays one profile instead of becoming nested sections.
 */
export async function parseIniSource(src: SourceFile, text: string): Promise<IniSections> {
  const lines = text.split(/\r?\n/);
  const kept: string[] = [];
  let inSection = false;
  lines.forEach((raw, idx) => {
    const line = raw.trim();
    const at = { line: idx + 1, column: 1 };
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (line.startsWith('[')) {
      const m = HEADER.exec(line);
      if (!m) throwMalformed(src, 'invalid INI: expected a section header "[name]"', at);
      const name = (m?.[1] ?? '').trim();
      if (name === '') throwMalformed(src, 'invalid INI: empty section name', at);
      inSection = true;
      kept.push(`[${name.replace(/\\/g, '\\\\').replace(/\./g, '\\.')}]`);
      return;
    }
    if (/^\s/.test(raw)) {
      if (!inSection || !line.includes('=')) throwMalformed(src, 'invalid INI: expected "key = value"', at);
      return; // a nested setting (e.g. under `s3 =`)
    }
    if (!SETTING.test(line))
      throwMalformed(src, 'invalid INI: expected "[section]", "key = value" or a comment', at);
    if (!inSection) throwMalformed(src, 'invalid INI: a setting before the first [section]', at);
    kept.push(line);
  });
  // Loaded on use: only AWS reads INI, and CLI start-up should not pay for it.
  const { parse: parseIni } = await import('ini');
  const parsed = parseIni(kept.join('\n')) as Record<string, unknown>;
  const out: IniSections = {};
  for (const [name, body] of Object.entries(parsed)) {
    if (body !== null && typeof body === 'object' && !Array.isArray(body))
      out[name] = body as Record<string, unknown>;
  }
  return out;
}
