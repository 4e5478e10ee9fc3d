// The lexer of Go's text/template (text/template/parse/lex.go): text and actions, with the
// trim markers `{{- ` / ` -}}` applied and comments dropped. Items carry their source offset,
// so every later error (and every rendered character) maps back to the spec's own lines.
import { TemplateError } from './template-error.js';

type ItemType =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'field' // .Name (the value is the name with its dot)
  | 'variable' // $ or $name
  | 'identifier'
  | 'keyword'
  | 'bool'
  | 'nil'
  | 'string' // the value is the unquoted string
  | 'rawString'
  | 'char' // the value is the character
  | 'number' // the value is the literal text
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare' // :=
  | 'assign' // =
  | 'comma'
  | 'dot'
  | 'eof';

export interface Item {
  type: ItemType;
  val: string;
  pos: number;
  /** the source text the item was lexed from */
  raw: string;
}

const KEYWORDS = new Set([
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'range',
  'template',
  'with',
]);

const LEFT = '{{';
const RIGHT = '}}';
const SPACE = /[ \t\r\n]/;

const isSpace = (c: string | undefined): boolean => c !== undefined && SPACE.test(c);
const isAlnum = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

/** Whether the text has any template action at all (most specs do not: they are used as they are). */
export function hasTemplateSyntax(text: string): boolean {
  return text.includes(LEFT);
}

const ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

/** A Go interpreted string (or char) literal's value; throws TemplateError for a bad escape. */
function unquoteGo(lit: string, pos: number): string {
  const quote = lit[0];
  const body = lit.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length;) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = body[i + 1] ?? '';
    const simple = ESCAPES[e];
    if (simple !== undefined && (e !== "'" || quote === "'") && (e !== '"' || quote === '"')) {
      out += simple;
      i += 2;
      continue;
    }
    const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hex > 0) {
      const digits = body.slice(i + 2, i + 2 + hex);
      if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits))
        throw new TemplateError(`invalid syntax: bad escape \\${e}${digits} in ${lit}`, pos);
      out +=
        hex === 2 ? String.fromCharCode(parseInt(digits, 16)) : String.fromCodePoint(parseInt(digits, 16));
      i += 2 + hex;
      continue;
    }
    const oct = body.slice(i + 1, i + 4);
    if (/^[0-7]{3}$/.test(oct)) {
      out += String.fromCharCode(parseInt(oct, 8));
      i += 4;
      continue;
    }
    throw new TemplateError(`invalid syntax: unknown escape \\${e} in ${lit}`, pos);
  }
  return out;
}

/** Split a template into items; throws TemplateError at the first lexical problem. */
export function lex(src: string): Item[] {
  const items: Item[] = [];
  const emit = (type: ItemType, start: number, end: number, val = src.slice(start, end)): void => {
    items.push({ type, val, pos: start, raw: src.slice(start, end) });
  };
  let pos = 0;
  let trimNext = false;
  while (pos <= src.length) {
    // ---- text up to the next action
    let start = pos;
    if (trimNext) {
      while (start < src.length && isSpace(src[start])) start++;
      trimNext = false;
    }
    const open = src.indexOf(LEFT, start);
    if (open < 0) {
      if (start < src.length) emit('text', start, src.length);
      break;
    }
    let afterOpen = open + LEFT.length;
    const leftTrim = src[afterOpen] === '-' && isSpace(src[afterOpen + 1]);
    let textEnd = open;
    if (leftTrim) {
      while (textEnd > start && isSpace(src[textEnd - 1])) textEnd--;
      afterOpen += 2;
    }
    if (textEnd > start) emit('text', start, textEnd);
    // ---- a comment: {{/* ... */}}, trim markers allowed around it
    if (src.startsWith('/*', afterOpen)) {
      const close = src.indexOf('*/', afterOpen + 2);
      if (close < 0) throw new TemplateError('unclosed comment', open);
      let q = close + 2;
      if (isSpace(src[q]) && src[q + 1] === '-' && src.startsWith(RIGHT, q + 2)) {
        trimNext = true;
        q += 2 + RIGHT.length;
      } else if (src.startsWith(RIGHT, q)) q += RIGHT.length;
      else throw new TemplateError('comment ends before closing delimiter', open);
      pos = q;
      continue;
    }
    emit('leftDelim', open, afterOpen, LEFT);
    // ---- inside an action
    let p = afterOpen;
    let parenDepth = 0;
    for (;;) {
      if (p >= src.length) throw new TemplateError('unclosed action', open);
      const c = src[p] as string;
      if (isSpace(c)) {
        let q = p;
        while (isSpace(src[q])) q++;
        if (src[q] === '-' && src.startsWith(RIGHT, q + 1)) {
          // " -}}": the last space and the dash trim the white space after the action.
          if (parenDepth > 0) throw new TemplateError('unclosed left paren', p);
          if (q - 1 > p) emit('space', p, q - 1);
          emit('rightDelim', q - 1, q + 1 + RIGHT.length, RIGHT);
          trimNext = true;
          p = q + 1 + RIGHT.length;
          break;
        }
        emit('space', p, q);
        p = q;
        continue;
      }
      if (src.startsWith(RIGHT, p)) {
        if (parenDepth > 0) throw new TemplateError('unclosed left paren', p);
        emit('rightDelim', p, p + RIGHT.length, RIGHT);
        p += RIGHT.length;
        break;
      }
      if (c === '|') {
        emit('pipe', p, p + 1);
        p++;
      } else if (c === '(') {
        emit('leftParen', p, p + 1);
        parenDepth++;
        p++;
      } else if (c === ')') {
        if (parenDepth === 0) throw new TemplateError(`unexpected right paren`, p);
        emit('rightParen', p, p + 1);
        parenDepth--;
        p++;
      } else if (c === ',') {
        emit('comma', p, p + 1);
        p++;
      } else if (c === ':') {
        if (src[p + 1] !== '=') throw new TemplateError('expected :=', p);
        emit('declare', p, p + 2);
        p += 2;
      } else if (c === '=') {
        emit('assign', p, p + 1);
        p++;
      } else if (c === '"') {
        let q = p + 1;
        for (;;) {
          const d = src[q];
          if (d === undefined || d === '\n') throw new TemplateError('unterminated quoted string', p);
          if (d === '\\') {
            q += 2;
            continue;
          }
          if (d === '"') break;
          q++;
        }
        emit('string', p, q + 1, unquoteGo(src.slice(p, q + 1), p));
        p = q + 1;
      } else if (c === '`') {
        const q = src.indexOf('`', p + 1);
        if (q < 0) throw new TemplateError('unterminated raw quoted string', p);
        emit('rawString', p, q + 1, src.slice(p + 1, q));
        p = q + 1;
      } else if (c === "'") {
        let q = p + 1;
        for (;;) {
          const d = src[q];
          if (d === undefined || d === '\n') throw new TemplateError('unterminated character constant', p);
          if (d === '\\') {
            q += 2;
            continue;
          }
          if (d === "'") break;
          q++;
        }
        const val = unquoteGo(src.slice(p, q + 1), p);
        if ([...val].length !== 1)
          throw new TemplateError(`malformed character constant: ${src.slice(p, q + 1)}`, p);
        emit('char', p, q + 1, val);
        p = q + 1;
      } else if (c === '$') {
        let q = p + 1;
        while (isAlnum(src[q])) q++;
        emit('variable', p, q);
        p = q;
      } else if (c === '.' && !/[0-9]/.test(src[p + 1] ?? '')) {
        if (isAlnum(src[p + 1])) {
          let q = p + 1;
          while (isAlnum(src[q])) q++;
          emit('field', p, q);
          p = q;
        } else {
          emit('dot', p, p + 1);
          p++;
        }
      } else if (/[0-9+\-.]/.test(c)) {
        const m =
          /^[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)i?/.exec(
            src.slice(p),
          );
        const num = m?.[0] ?? '';
        if (num === '' || num === '+' || num === '-' || num === '.' || isAlnum(src[p + num.length]))
          throw new TemplateError(`bad number syntax: "${src.slice(p, p + Math.max(1, num.length + 1))}"`, p);
        emit('number', p, p + num.length);
        p += num.length;
      } else if (isAlnum(c)) {
        let q = p;
        while (isAlnum(src[q])) q++;
        const word = src.slice(p, q);
        if (KEYWORDS.has(word)) emit('keyword', p, q);
        else if (word === 'true' || word === 'false') emit('bool', p, q);
        else if (word === 'nil') emit('nil', p, q);
        else emit('identifier', p, q);
        p = q;
      } else {
        throw new TemplateError(`unrecognized character in action: ${JSON.stringify(c)}`, p);
      }
    }
    pos = p;
  }
  items.push({ type: 'eof', val: '', pos: src.length, raw: '' });
  return items;
}
