/**
 * A small strict XML parser for tests: elements, attributes, text, CDATA, the five predefined
 * entities and numeric references. Throws on anything malformed (mismatched tags, bare `&` or
 * `<`, characters XML 1.0 forbids, duplicate attributes), so a passing parse means a CI reader
 * will accept the file too.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_.:]*/y;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

function decode(s: string, where: string): string {
  return s.replace(/&([^;]*);|&/g, (m, ent: string | undefined) => {
    if (ent === undefined) throw new Error(`bare & in ${where}`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (ent in named) return named[ent] as string;
    const num = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(ent);
    if (num?.[1])
      return String.fromCodePoint(num[1].startsWith('x') ? parseInt(num[1].slice(1), 16) : Number(num[1]));
    throw new Error(`unknown entity ${m} in ${where}`);
  });
}

export function parseXml(xml: string): XmlElement {
  if (FORBIDDEN.test(xml)) throw new Error('document contains a character XML 1.0 forbids');
  let i = 0;
  const skipWs = (): void => {
    while (i < xml.length && /\s/.test(xml[i] ?? '')) i++;
  };
  const expect = (s: string): void => {
    if (!xml.startsWith(s, i)) throw new Error(`expected ${s} at ${i}: ${xml.slice(i, i + 20)}`);
    i += s.length;
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(xml);
    if (!m) throw new Error(`expected a name at ${i}`);
    i += m[0].length;
    return m[0];
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  const element = (): XmlElement => {
    expect('<');
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      skipWs();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      const an = name();
      skipWs();
      expect('=');
      skipWs();
      const q = xml[i];
      if (q !== '"' && q !== "'") throw new Error(`unquoted attribute ${an}`);
      const end = xml.indexOf(q, i + 1);
      const raw = xml.slice(i + 1, end);
      if (raw.includes('<')) throw new Error(`< in attribute ${an}`);
      if (an in el.attrs) throw new Error(`duplicate attribute ${an}`);
      el.attrs[an] = decode(raw, `attribute ${an}`);
      i = end + 1;
    }
    for (;;) {
      if (xml.startsWith('<![CDATA[', i)) {
        const end = xml.indexOf(']]>', i);
        if (end < 0) throw new Error('unterminated CDATA');
        el.text += xml.slice(i + 9, end);
        i = end + 3;
      } else if (xml.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== el.name) throw new Error(`</${closing}> closes <${el.name}>`);
        skipWs();
        expect('>');
        return el;
      } else if (xml[i] === '<') {
        el.children.push(element());
      } else {
        const next = xml.indexOf('<', i);
        if (next < 0) throw new Error(`unclosed <${el.name}>`);
        const raw = xml.slice(i, next);
        if (raw.includes(']]>')) throw new Error(']]> in text');
        if (raw.trim().length > 0) el.text += decode(raw, `text of ${el.name}`);
        i = next;
      }
    }
  };
  skipWs();
  const root = element();
  skipWs();
  if (i !== xml.length) throw new Error('content after the root element');
  return root;
}
