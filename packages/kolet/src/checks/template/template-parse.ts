// The subset of Go's text/template that goss specs commonly use, parsed with the source offset of
// every piece so errors (and YAML errors in the rendered text) point at the spec's own lines.
// Anything outside the subset is an error naming it: a spec is never rendered half-understood.

/** A template problem at a 0-based offset of the source text. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** The functions kolet implements (Go's built-ins and goss's own that specs use most). */
export const TEMPLATE_FUNCTIONS = [
  'and',
  'or',
  'not',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'index',
  'len',
  'getEnv',
  'mkSlice',
  'toLower',
  'toUpper',
  'regexMatch',
] as const;
export type TemplateFunction = (typeof TEMPLATE_FUNCTIONS)[number];

export type Operand =
  | { t: 'field'; names: string[]; pos: number } // .a.b (from dot)
  | { t: 'dot'; pos: number }
  | { t: 'var'; name: string; fields: string[]; pos: number } // $, $x, $x.a
  | { t: 'string'; value: string; pos: number }
  | { t: 'number'; value: number; pos: number }
  | { t: 'bool'; value: boolean; pos: number }
  | { t: 'nil'; pos: number }
  | { t: 'func'; name: TemplateFunction; pos: number }
  | { t: 'paren'; pipe: Pipeline; pos: number };

export interface Command {
  args: Operand[];
  pos: number;
}

export interface Pipeline {
  /** `$x :=` / `$x =` (or `$i, $v :=` in range) */
  decl: { names: string[]; assign: boolean } | undefined;
  cmds: Command[];
  pos: number;
  /** the action's source text, for messages */
  text: string;
}

export type TemplateNode =
  | { t: 'text'; text: string; pos: number }
  | { t: 'print'; pipe: Pipeline; pos: number }
  | { t: 'if'; branches: { cond: Pipeline; body: TemplateNode[] }[]; elseBody: TemplateNode[]; pos: number }
  | { t: 'with'; pipe: Pipeline; body: TemplateNode[]; elseBody: TemplateNode[]; pos: number }
  | { t: 'range'; pipe: Pipeline; body: TemplateNode[]; elseBody: TemplateNode[]; pos: number };

type Tok =
  | { k: 'field'; names: string[]; pos: number; end: number }
  | { k: 'dot'; pos: number; end: number }
  | { k: 'var'; name: string; fields: string[]; pos: number; end: number }
  | { k: 'ident'; name: string; pos: number; end: number }
  | { k: 'string'; value: string; pos: number; end: number }
  | { k: 'number'; value: number; pos: number; end: number }
  | { k: '|' | '(' | ')' | ',' | ':=' | '='; pos: number; end: number };

type Item =
  { k: 'text'; text: string; pos: number } | { k: 'action'; toks: Tok[]; pos: number; text: string };

const KEYWORDS_UNSUPPORTED = new Set(['define', 'template', 'block', 'break', 'continue']);

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** Whether the text has any template action at all (most specs do not: they are used as they are). */
export function hasTemplateSyntax(text: string): boolean {
  return text.includes('{{');
}

/** Parse a template into its node tree; throws TemplateError at the first problem. */
export function parseTemplate(src: string): TemplateNode[] {
  return new Parser(src, splitItems(src)).parseAll();
}

// ---- lexing: text and actions, trim markers and comments applied -------------------------------

function splitItems(src: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  let trimLeading = false;
  while (i <= src.length) {
    if (trimLeading) {
      while (i < src.length && isSpace(src[i])) i++;
      trimLeading = false;
    }
    const open = src.indexOf('{{', i);
    if (open < 0) {
      if (i < src.length) items.push({ k: 'text', text: src.slice(i), pos: i });
      break;
    }
    let p = open + 2;
    // `{{- ` trims the white space before the action (the dash must be followed by a space).
    const leftTrim = src[p] === '-' && isSpace(src[p + 1]);
    if (leftTrim) p += 2;
    let text = src.slice(i, open);
    if (leftTrim) text = text.replace(/[ \t\r\n]+$/, '');
    if (text !== '') items.push({ k: 'text', text, pos: i });
    if (src.startsWith('/*', p)) {
      const close = src.indexOf('*/', p + 2);
      if (close < 0) throw new TemplateError('unclosed comment: no */ before the end', open);
      let q = close + 2;
      if (isSpace(src[q]) && src[q + 1] === '-' && src.startsWith('}}', q + 2)) {
        trimLeading = true;
        q += 4;
      } else if (src.startsWith('}}', q)) {
        q += 2;
      } else {
        throw new TemplateError('a comment must end with */}} (or */ -}})', open);
      }
      i = q;
      continue;
    }
    const { toks, end, rightTrim } = lexAction(src, p, open);
    items.push({ k: 'action', toks, pos: open, text: src.slice(open, end) });
    trimLeading = rightTrim;
    i = end;
  }
  return items;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const FIELDS = /(?:\.[A-Za-z_][A-Za-z0-9_]*)+/y;
const NUMBER = /[+-]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/y;

function matchAt(re: RegExp, src: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(src)?.[0];
}

function lexAction(
  src: string,
  start: number,
  open: number,
): { toks: Tok[]; end: number; rightTrim: boolean } {
  const toks: Tok[] = [];
  let p = start;
  for (;;) {
    if (p >= src.length) throw new TemplateError('unclosed action: no }} before the end', open);
    const c = src[p] as string;
    if (isSpace(c)) {
      if (src[p + 1] === '-' && src.startsWith('}}', p + 2)) return { toks, end: p + 4, rightTrim: true };
      p++;
      continue;
    }
    if (src.startsWith('}}', p)) return { toks, end: p + 2, rightTrim: false };
    if (c === '.') {
      const chain = matchAt(FIELDS, src, p);
      if (chain) {
        toks.push({ k: 'field', names: chain.slice(1).split('.'), pos: p, end: p + chain.length });
        p += chain.length;
      } else if (/\d/.test(src[p + 1] ?? '')) {
        throw new TemplateError(`bad number syntax at "${src.slice(p, p + 6)}"`, p);
      } else {
        toks.push({ k: 'dot', pos: p, end: p + 1 });
        p++;
      }
      continue;
    }
    if (c === '$') {
      const name = matchAt(IDENT, src, p + 1) ?? '';
      const after = p + 1 + name.length;
      const chain = matchAt(FIELDS, src, after) ?? '';
      toks.push({
        k: 'var',
        name: `$${name}`,
        fields: chain ? chain.slice(1).split('.') : [],
        pos: p,
        end: after + chain.length,
      });
      p = after + chain.length;
      continue;
    }
    if (c === '"' || c === '`') {
      const { value, end } = c === '"' ? lexQuoted(src, p) : lexRaw(src, p);
      toks.push({ k: 'string', value, pos: p, end });
      p = end;
      continue;
    }
    if (c === "'") throw new TemplateError('character constants are not supported; use a "string"', p);
    if (/[0-9+-]/.test(c)) {
      const num = matchAt(NUMBER, src, p);
      const end = p + (num?.length ?? 0);
      if (!num || /[A-Za-z0-9_.]/.test(src[end] ?? '')) {
        const word = /^[^\s})|]*/.exec(src.slice(p))?.[0] ?? c;
        throw new TemplateError(`bad number syntax: "${word}"`, p);
      }
      if (/^[+-]?0\d/.test(num))
        throw new TemplateError(`bad number syntax: "${num}" (Go reads a leading 0 as octal)`, p);
      toks.push({ k: 'number', value: Number(num), pos: p, end });
      p = end;
      continue;
    }
    const ident = matchAt(IDENT, src, p);
    if (ident) {
      toks.push({ k: 'ident', name: ident, pos: p, end: p + ident.length });
      p += ident.length;
      continue;
    }
    if (src.startsWith(':=', p)) {
      toks.push({ k: ':=', pos: p, end: p + 2 });
      p += 2;
      continue;
    }
    if (c === '|' || c === '(' || c === ')' || c === ',' || c === '=') {
      toks.push({ k: c, pos: p, end: p + 1 });
      p++;
      if (c === ')' && matchAt(FIELDS, src, p))
        throw new TemplateError('a field of a parenthesized value ((...).field) is not supported', p);
      continue;
    }
    throw new TemplateError(`unexpected "${c}" in an action`, p);
  }
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
};

/** A Go interpreted string literal ("..." with backslash escapes). */
function lexQuoted(src: string, start: number): { value: string; end: number } {
  let out = '';
  let p = start + 1;
  for (;;) {
    const c = src[p];
    if (c === undefined || c === '\n') throw new TemplateError('unterminated string', start);
    if (c === '"') return { value: out, end: p + 1 };
    if (c !== '\\') {
      out += c;
      p++;
      continue;
    }
    const e = src[p + 1] ?? '';
    const simple = ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      p += 2;
      continue;
    }
    const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hex > 0) {
      const digits = src.slice(p + 2, p + 2 + hex);
      if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits))
        throw new TemplateError(`invalid escape \\${e}${digits} in a string`, p);
      out += String.fromCodePoint(parseInt(digits, 16));
      p += 2 + hex;
      continue;
    }
    const oct = src.slice(p + 1, p + 4);
    if (/^[0-3][0-7]{2}$/.test(oct)) {
      out += String.fromCharCode(parseInt(oct, 8));
      p += 4;
      continue;
    }
    throw new TemplateError(`invalid escape \\${e} in a string`, p);
  }
}

function lexRaw(src: string, start: number): { value: string; end: number } {
  const close = src.indexOf('`', start + 1);
  if (close < 0) throw new TemplateError('unterminated raw string', start);
  return { value: src.slice(start + 1, close), end: close + 1 };
}

// ---- parsing: control structures and pipelines -----------------------------------------------

type Stop = { kw: 'end' | 'else'; item: Extract<Item, { k: 'action' }>; rest: Tok[] } | undefined;

class Parser {
  private i = 0;
  /** variables in scope, innermost last; `$` is always there */
  private vars: string[] = ['$'];

  constructor(
    private readonly src: string,
    private readonly items: Item[],
  ) {}

  parseAll(): TemplateNode[] {
    const { nodes, stop } = this.parseList();
    if (stop)
      throw new TemplateError(
        `unexpected {{${stop.kw}}}: no {{if}}, {{range}} or {{with}} is open`,
        stop.item.pos,
      );
    return nodes;
  }

  /** Nodes up to the next {{end}} / {{else ...}} of the enclosing block (or the end of the text). */
  private parseList(): { nodes: TemplateNode[]; stop: Stop } {
    const nodes: TemplateNode[] = [];
    while (this.i < this.items.length) {
      const item = this.items[this.i++] as Item;
      if (item.k === 'text') {
        nodes.push({ t: 'text', text: item.text, pos: item.pos });
        continue;
      }
      const first = item.toks[0];
      if (!first) throw new TemplateError('empty action {{ }}', item.pos);
      if (first.k === 'ident' && (first.name === 'end' || first.name === 'else')) {
        return { nodes, stop: { kw: first.name, item, rest: item.toks.slice(1) } };
      }
      if (first.k === 'ident' && first.name === 'if') nodes.push(this.parseIf(item, item.toks.slice(1)));
      else if (first.k === 'ident' && (first.name === 'range' || first.name === 'with'))
        nodes.push(this.parseRangeWith(first.name, item));
      else if (first.k === 'ident' && KEYWORDS_UNSUPPORTED.has(first.name))
        throw new TemplateError(
          `{{${first.name}}} is not supported (kolet renders one template per file)`,
          item.pos,
        );
      else {
        const pipe = this.parsePipeline(item.toks, item);
        nodes.push({ t: 'print', pipe, pos: item.pos });
      }
    }
    return { nodes, stop: undefined };
  }

  private parseIf(item: Extract<Item, { k: 'action' }>, condToks: Tok[]): TemplateNode {
    const mark = this.vars.length;
    const branches: { cond: Pipeline; body: TemplateNode[] }[] = [];
    let cond = this.parsePipeline(condToks, item, 'if');
    let at = item;
    for (;;) {
      const { nodes, stop } = this.parseList();
      branches.push({ cond, body: nodes });
      if (!stop) throw new TemplateError('{{if}} without {{end}}', at.pos);
      if (stop.kw === 'end') {
        this.endAction(stop);
        this.vars.length = mark;
        return { t: 'if', branches, elseBody: [], pos: item.pos };
      }
      const next = stop.rest[0];
      if (next?.k === 'ident' && next.name === 'if') {
        cond = this.parsePipeline(stop.rest.slice(1), stop.item, 'else if');
        at = stop.item;
        continue;
      }
      if (next)
        throw new TemplateError(
          next.k === 'ident' && next.name === 'with'
            ? '{{else with}} is not supported'
            : `unexpected ${tokText(this.src, next)} after {{else}}`,
          next.pos,
        );
      const { nodes: elseBody, stop: end } = this.parseList();
      if (!end || end.kw !== 'end')
        throw new TemplateError(
          end ? 'a second {{else}} in one {{if}}' : '{{if}} without {{end}}',
          (end?.item ?? stop.item).pos,
        );
      this.endAction(end);
      this.vars.length = mark;
      return { t: 'if', branches, elseBody, pos: item.pos };
    }
  }

  private parseRangeWith(kw: 'range' | 'with', item: Extract<Item, { k: 'action' }>): TemplateNode {
    const mark = this.vars.length;
    const pipe = this.parsePipeline(item.toks.slice(1), item, kw);
    if (kw === 'with' && pipe.decl && pipe.decl.names.length > 1)
      throw new TemplateError('{{with}} declares one variable at most', item.pos);
    const { nodes: body, stop } = this.parseList();
    if (!stop) throw new TemplateError(`{{${kw}}} without {{end}}`, item.pos);
    let elseBody: TemplateNode[] = [];
    let end = stop;
    if (stop.kw === 'else') {
      if (stop.rest.length > 0)
        throw new TemplateError(
          `{{else ${tokText(this.src, stop.rest[0] as Tok)}}} is not supported in {{${kw}}}`,
          stop.item.pos,
        );
      const r = this.parseList();
      if (!r.stop || r.stop.kw !== 'end')
        throw new TemplateError(
          r.stop ? `a second {{else}} in one {{${kw}}}` : `{{${kw}}} without {{end}}`,
          (r.stop?.item ?? stop.item).pos,
        );
      elseBody = r.nodes;
      end = r.stop;
    }
    this.endAction(end);
    this.vars.length = mark;
    return { t: kw, pipe, body, elseBody, pos: item.pos };
  }

  private endAction(stop: NonNullable<Stop>): void {
    const extra = stop.rest[0];
    if (extra) throw new TemplateError(`unexpected ${tokText(this.src, extra)} in {{end}}`, extra.pos);
  }

  /**
   * A pipeline: optional `$x :=` / `$x =` (`$i, $v :=` in range), then commands separated by `|`.
   * `control` names the keyword it belongs to (if, range, with) for messages.
   */
  private parsePipeline(toks: Tok[], item: Extract<Item, { k: 'action' }>, control?: string): Pipeline {
    let rest = toks;
    let decl: Pipeline['decl'];
    const v0 = rest[0];
    const op1 = rest[1];
    if (v0?.k === 'var' && v0.fields.length === 0 && op1 && (op1.k === ':=' || op1.k === '=')) {
      decl = { names: [v0.name], assign: op1.k === '=' };
      rest = rest.slice(2);
    } else if (v0?.k === 'var' && op1?.k === ',' && control === 'range') {
      const v1 = rest[2];
      const op = rest[3];
      if (v1?.k !== 'var' || v1.fields.length > 0 || v0.fields.length > 0 || op?.k !== ':=')
        throw new TemplateError('expected {{range $index, $element := ...}}', v0.pos);
      decl = { names: [v0.name, v1.name], assign: false };
      rest = rest.slice(4);
    }
    if (decl?.assign) {
      const name = decl.names[0] as string;
      if (!this.vars.includes(name)) throw new TemplateError(`undefined variable "${name}"`, (v0 as Tok).pos);
    }
    const cmds = this.parseCommands(rest, item.pos, control ?? 'the action');
    if (decl && !decl.assign) this.vars.push(...decl.names);
    return { decl, cmds, pos: item.pos, text: item.text };
  }

  private parseCommands(toks: Tok[], pos: number, what: string): Command[] {
    const cmds: Command[] = [];
    let args: Operand[] = [];
    let cmdPos = toks[0]?.pos ?? pos;
    let i = 0;
    const finish = (at: number): void => {
      if (args.length === 0) throw new TemplateError(`missing value in ${what}`, at);
      cmds.push({ args, pos: cmdPos });
      args = [];
    };
    while (i < toks.length) {
      const tok = toks[i] as Tok;
      if (tok.k === '|') {
        finish(tok.pos);
        i++;
        cmdPos = toks[i]?.pos ?? tok.pos;
        continue;
      }
      if (tok.k === '(') {
        let depth = 1;
        let j = i + 1;
        for (; j < toks.length && depth > 0; j++) {
          const k = (toks[j] as Tok).k;
          if (k === '(') depth++;
          else if (k === ')') depth--;
        }
        if (depth > 0) throw new TemplateError('unclosed (', tok.pos);
        const inner = toks.slice(i + 1, j - 1);
        const cmdsInner = this.parseCommands(inner, tok.pos, '( )');
        args.push({
          t: 'paren',
          pipe: {
            decl: undefined,
            cmds: cmdsInner,
            pos: tok.pos,
            text: this.src.slice(tok.pos, (toks[j - 1] as Tok).end),
          },
          pos: tok.pos,
        });
        i = j;
        continue;
      }
      args.push(this.operand(tok));
      i++;
    }
    finish(toks[toks.length - 1]?.end ?? pos);
    // A command with arguments must start with a function: `.a .b` is not a call in Go either.
    for (const c of cmds) {
      const head = c.args[0] as Operand;
      if (c.args.length > 1 && head.t !== 'func')
        throw new TemplateError(
          `${opText(this.src, head)} is not a function; only a function takes arguments`,
          head.pos,
        );
    }
    for (const c of cmds.slice(1)) {
      if ((c.args[0] as Operand).t !== 'func')
        throw new TemplateError('after | comes a function (the value is passed as its last argument)', c.pos);
    }
    return cmds;
  }

  private operand(tok: Tok): Operand {
    switch (tok.k) {
      case 'field':
        return { t: 'field', names: tok.names, pos: tok.pos };
      case 'dot':
        return { t: 'dot', pos: tok.pos };
      case 'var':
        if (!this.vars.includes(tok.name))
          throw new TemplateError(`undefined variable "${tok.name}"`, tok.pos);
        return { t: 'var', name: tok.name, fields: tok.fields, pos: tok.pos };
      case 'string':
        return { t: 'string', value: tok.value, pos: tok.pos };
      case 'number':
        return { t: 'number', value: tok.value, pos: tok.pos };
      case 'ident': {
        if (tok.name === 'true' || tok.name === 'false')
          return { t: 'bool', value: tok.name === 'true', pos: tok.pos };
        if (tok.name === 'nil') return { t: 'nil', pos: tok.pos };
        if ((TEMPLATE_FUNCTIONS as readonly string[]).includes(tok.name))
          return { t: 'func', name: tok.name as TemplateFunction, pos: tok.pos };
        if (['if', 'else', 'end', 'range', 'with', ...KEYWORDS_UNSUPPORTED].includes(tok.name))
          throw new TemplateError(`unexpected keyword "${tok.name}" inside an action`, tok.pos);
        throw new TemplateError(
          `function "${tok.name}" is not supported (kolet has: ${TEMPLATE_FUNCTIONS.join(', ')})`,
          tok.pos,
        );
      }
      default:
        throw new TemplateError(`unexpected ${tokText(this.src, tok)}`, tok.pos);
    }
  }
}

function tokText(src: string, tok: Tok): string {
  return `"${src.slice(tok.pos, tok.end)}"`;
}

function opText(src: string, op: Operand): string {
  switch (op.t) {
    case 'field':
      return `.${op.names.join('.')}`;
    case 'var':
      return [op.name, ...op.fields].join('.');
    case 'dot':
      return '.';
    case 'string':
      return JSON.stringify(op.value);
    case 'paren':
      return op.pipe.text;
    default:
      return src.slice(op.pos, op.pos + 12).split(/\s/)[0] ?? '';
  }
}
