// The parser of Go's text/template (text/template/parse/parse.go): items into a tree of
// actions, if/range/with (with else if / else with), define/template/block, break/continue,
// pipelines with variable declarations, and the checks Go makes while parsing (undefined
// variables and functions, misplaced keywords).
import { lex, type Item } from './lex.js';
import type {
  ArgNode,
  BranchNode,
  CommandNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  TemplateCallNode,
  Tree,
  VariableNode,
} from './nodes.js';
import { TemplateError } from './template-error.js';

/** Parse a template; `isFunction` says which names are functions. Throws TemplateError. */
export function parseTemplate(src: string, isFunction: (name: string) => boolean): Tree {
  return new Parser(src, lex(src), isFunction).parse();
}

/** Read a number constant as Go's parse.newNumber does. */
function parseNumber(text: string, pos: number): NumberNode {
  const fail = (): never => {
    throw new TemplateError(`illegal number syntax: ${JSON.stringify(text)}`, pos);
  };
  if (text.endsWith('i')) throw new TemplateError(`complex numbers are not supported: ${text}`, pos);
  const clean = text.replace(/_/g, '');
  const sign = clean.startsWith('-') ? -1 : 1;
  const body = clean.replace(/^[+-]/, '');
  let value: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) value = sign * parseInt(body.slice(2), 16);
  else if (/^0[bB][01]+$/.test(body)) value = sign * parseInt(body.slice(2), 2);
  else if (/^0[oO]?[0-7]+$/.test(body)) value = sign * parseInt(body.replace(/^0[oO]?/, ''), 8);
  else if (/^[0-9]+$/.test(body) || /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(body))
    value = sign * Number(body);
  else if (/^0[xX][0-9a-fA-F]*\.?[0-9a-fA-F]*[pP][+-]?[0-9]+$/.test(body)) {
    const m = /^0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?[0-9]+)$/.exec(body) as RegExpExecArray;
    value =
      sign *
      (parseInt((m[1] ?? '') + (m[2] ?? '') || '0', 16) / 16 ** (m[2] ?? '').length) *
      2 ** Number(m[3]);
  } else return fail();
  // As Go: every number is usable as a float, an integral one as an int too.
  const isInt = Number.isInteger(value);
  const isFloat = true;
  return { type: 'number', pos, text, isInt, isFloat, value, isChar: false };
}

/** What ends a list: {{end}}, or {{else}} (`chained` for {{else if}} / {{else with}}). */
type Stop = { type: 'end' | 'else'; pos: number; chained?: 'if' | 'with' };

class Parser {
  private i = 0;
  /** variables in scope, innermost last */
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private readonly defines = new Map<string, ListNode>();

  constructor(
    private readonly src: string,
    private readonly items: Item[],
    private readonly isFunction: (name: string) => boolean,
  ) {}

  parse(): Tree {
    const root: ListNode = { type: 'list', pos: 0, nodes: [] };
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === 'eof') break;
      if (t.type === 'leftDelim') {
        const save = this.i;
        this.next();
        const kw = this.peekNonSpace();
        if (kw.type === 'keyword' && kw.val === 'define') {
          this.nextNonSpace();
          this.parseDefinition();
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') throw new TemplateError(`unexpected {{${n.type}}}`, n.pos);
      root.nodes.push(n as Node);
    }
    return { root, defines: this.defines };
  }

  // ---- item access ------------------------------------------------------------------------

  private next(): Item {
    return this.items[this.i++] ?? (this.items[this.items.length - 1] as Item);
  }

  private peek(): Item {
    return this.items[this.i] ?? (this.items[this.items.length - 1] as Item);
  }

  private nextNonSpace(): Item {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }

  private peekNonSpace(): Item {
    const save = this.i;
    const t = this.nextNonSpace();
    this.i = save;
    return t;
  }

  private expect(type: Item['type'], context: string): Item {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  private unexpected(t: Item, context: string): never {
    if (t.type === 'eof') throw new TemplateError(`unexpected EOF in ${context}`, t.pos);
    throw new TemplateError(`unexpected ${describe(t)} in ${context}`, t.pos);
  }

  // ---- structure ----------------------------------------------------------------------------

  private parseDefinition(): void {
    const nameTok = this.nextNonSpace();
    if (nameTok.type !== 'string' && nameTok.type !== 'rawString') this.unexpected(nameTok, 'define clause');
    this.expect('rightDelim', 'define clause');
    const saved = this.vars;
    this.vars = ['$'];
    const { list, end } = this.itemList();
    if (end.type !== 'end') throw new TemplateError('unexpected {{else}} in define clause', end.pos);
    this.vars = saved;
    this.defines.set(nameTok.val, list);
  }

  /** Nodes until {{end}} or {{else}}; returns which one ended the list. */
  private itemList(): { list: ListNode; end: Stop } {
    const list: ListNode = { type: 'list', pos: this.peek().pos, nodes: [] };
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === 'eof') throw new TemplateError('unexpected EOF', t.pos);
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return { list, end: n };
      list.nodes.push(n as Node);
    }
  }

  private textOrAction(): Node | Stop {
    const t = this.next();
    if (t.type === 'text') return { type: 'text', pos: t.pos, text: t.val };
    if (t.type === 'leftDelim') return this.action(t);
    return this.unexpected(t, 'input');
  }

  private action(open: Item): Node | Stop {
    const t = this.peekNonSpace();
    if (t.type === 'keyword') {
      this.nextNonSpace();
      switch (t.val) {
        case 'block':
          return this.blockControl(open);
        case 'break':
        case 'continue': {
          if (this.rangeDepth === 0) throw new TemplateError(`{{${t.val}}} outside {{range}}`, t.pos);
          this.expect('rightDelim', t.val);
          return { type: t.val, pos: open.pos };
        }
        case 'else':
          return this.elseControl(open);
        case 'end':
          this.expect('rightDelim', 'end');
          return { type: 'end', pos: open.pos };
        case 'if':
          return this.branch('if', open);
        case 'range':
          return this.branch('range', open);
        case 'with':
          return this.branch('with', open);
        case 'template':
          return this.templateControl(open);
        default:
          throw new TemplateError('{{define}} is only allowed at the top level of a template', t.pos);
      }
    }
    return { type: 'action', pos: open.pos, pipe: this.pipeline('command', 'rightDelim', open) };
  }

  private elseControl(open: Item): Stop {
    const t = this.peekNonSpace();
    if (t.type === 'keyword' && (t.val === 'if' || t.val === 'with')) {
      // {{else if ...}} / {{else with ...}}: the rest of the chain parses as a nested branch.
      return { type: 'else', pos: open.pos, chained: t.val };
    }
    this.expect('rightDelim', 'else');
    return { type: 'else', pos: open.pos };
  }

  private branch(kind: 'if' | 'range' | 'with', open: Item): BranchNode {
    const mark = this.vars.length;
    const pipe = this.pipeline(kind, 'rightDelim', open);
    if (kind === 'range') this.rangeDepth++;
    const { list, end } = this.itemList();
    if (kind === 'range') this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (end.type === 'else') {
      const chained = end.chained;
      if (chained) {
        if (kind === 'range') throw new TemplateError(`unexpected {{else ${chained}}} in range`, end.pos);
        if (chained !== kind) throw new TemplateError(`{{else ${chained}}} in {{${kind}}}`, end.pos);
        // Consume the keyword: the nested branch ends at the same {{end}} as this one.
        this.nextNonSpace();
        const nested = this.branch(chained, { type: 'leftDelim', val: '{{', pos: end.pos, raw: '{{' });
        elseList = { type: 'list', pos: end.pos, nodes: [nested] };
        this.vars.length = mark;
        return { type: kind, pos: open.pos, pipe, list, elseList };
      }
      const r = this.itemList();
      if (r.end.type !== 'end') throw new TemplateError(`expected end; found {{else}}`, r.end.pos);
      elseList = r.list;
    }
    this.vars.length = mark;
    return { type: kind, pos: open.pos, pipe, list, elseList };
  }

  private templateControl(open: Item): TemplateCallNode {
    const nameTok = this.nextNonSpace();
    if (nameTok.type !== 'string' && nameTok.type !== 'rawString')
      this.unexpected(nameTok, 'template clause');
    let pipe: PipeNode | undefined;
    if (this.peekNonSpace().type !== 'rightDelim')
      pipe = this.pipeline('template clause', 'rightDelim', open);
    else this.nextNonSpace();
    return { type: 'template', pos: open.pos, name: nameTok.val, pipe };
  }

  private blockControl(open: Item): TemplateCallNode {
    const nameTok = this.nextNonSpace();
    if (nameTok.type !== 'string' && nameTok.type !== 'rawString') this.unexpected(nameTok, 'block clause');
    const pipe = this.pipeline('block clause', 'rightDelim', open);
    const saved = this.vars;
    this.vars = ['$'];
    const { list, end } = this.itemList();
    if (end.type !== 'end') throw new TemplateError('unexpected {{else}} in block clause', end.pos);
    this.vars = saved;
    this.defines.set(nameTok.val, list);
    return { type: 'template', pos: open.pos, name: nameTok.val, pipe };
  }

  // ---- pipelines ----------------------------------------------------------------------------

  private pipeline(context: string, end: 'rightDelim' | 'rightParen', open: Item): PipeNode {
    const pipe: PipeNode = {
      type: 'pipe',
      pos: this.peekNonSpace().pos,
      isAssign: false,
      decl: [],
      cmds: [],
      text: '',
    };
    // Variable declarations: $x := / $x = / $i, $e := (range).
    const save = this.i;
    const v = this.nextNonSpace();
    if (v.type === 'variable') {
      const after = this.nextNonSpace();
      if (after.type === 'declare' || after.type === 'assign') {
        pipe.isAssign = after.type === 'assign';
        const node = this.variableNode(v, !pipe.isAssign);
        pipe.decl.push(node);
        if (!pipe.isAssign) this.vars.push(v.val);
      } else if (after.type === 'comma' && context === 'range') {
        const v2 = this.nextNonSpace();
        if (v2.type !== 'variable') this.unexpected(v2, 'range');
        const op = this.nextNonSpace();
        if (op.type !== 'declare' && op.type !== 'assign') this.unexpected(op, 'range');
        pipe.isAssign = op.type === 'assign';
        pipe.decl.push(this.variableNode(v, !pipe.isAssign), this.variableNode(v2, !pipe.isAssign));
        if (!pipe.isAssign) this.vars.push(v.val, v2.val);
      } else {
        this.i = save;
      }
    } else {
      this.i = save;
    }
    if (pipe.decl.length > 1 && context !== 'range')
      throw new TemplateError(`too many declarations in ${context}`, pipe.pos);
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === end) {
        this.nextNonSpace();
        if (pipe.cmds.length === 0) throw new TemplateError(`missing value for ${context}`, t.pos);
        pipe.text = this.src.slice(open.pos, t.pos + t.raw.length);
        return pipe;
      }
      if (
        [
          'bool',
          'char',
          'dot',
          'field',
          'identifier',
          'number',
          'nil',
          'rawString',
          'string',
          'variable',
          'leftParen',
        ].includes(t.type)
      ) {
        pipe.cmds.push(this.command(end));
        continue;
      }
      this.unexpected(this.nextNonSpace(), context);
    }
  }

  private command(end: 'rightDelim' | 'rightParen'): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.skipSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === end || t.type === 'rightDelim' || t.type === 'rightParen') {
        this.i--;
        break;
      }
      if (t.type === 'pipe') break;
      this.unexpected(t, 'operand');
    }
    if (cmd.args.length === 0) throw new TemplateError('empty command', cmd.pos);
    return cmd;
  }

  private skipSpace(): void {
    while (this.peek().type === 'space') this.i++;
  }

  /** A term and the fields after it (`.a.b`, `$x.a`, `(pipe).a`). */
  private operand(): ArgNode | undefined {
    const term = this.term();
    if (!term) return undefined;
    if (this.peek().type !== 'field') return term;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    switch (term.type) {
      case 'field':
        return { ...term, ident: [...term.ident, ...fields] };
      case 'variable':
        return { ...term, ident: [...term.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        throw new TemplateError(
          `unexpected . after term ${JSON.stringify(this.src.slice(term.pos, this.peek().pos))}`,
          term.pos,
        );
      default:
        return { type: 'chain', pos: term.pos, node: term, field: fields };
    }
  }

  private term(): ArgNode | undefined {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.isFunction(t.val))
          throw new TemplateError(`function ${JSON.stringify(t.val)} not defined`, t.pos);
        return { type: 'identifier', pos: t.pos, ident: t.val };
      case 'dot':
        return { type: 'dot', pos: t.pos };
      case 'nil':
        return { type: 'nil', pos: t.pos };
      case 'variable':
        return this.variableNode(t, false);
      case 'field':
        return { type: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'char': {
        const code = t.val.codePointAt(0) ?? 0;
        return {
          type: 'number',
          pos: t.pos,
          text: t.raw,
          isInt: true,
          isFloat: false,
          value: code,
          isChar: true,
        };
      }
      case 'number':
        return parseNumber(t.val, t.pos);
      case 'leftParen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen', t);
        return pipe;
      }
      case 'string':
      case 'rawString':
        return { type: 'string', pos: t.pos, quoted: t.raw, text: t.val };
    }
    this.i--;
    return undefined;
  }

  private variableNode(t: Item, declaring: boolean): VariableNode {
    if (!declaring && !this.vars.includes(t.val))
      throw new TemplateError(`undefined variable ${JSON.stringify(t.val)}`, t.pos);
    return { type: 'variable', pos: t.pos, ident: [t.val] };
  }
}

function describe(t: Item): string {
  switch (t.type) {
    case 'rightDelim':
      return '"}}"';
    case 'leftDelim':
      return '"{{"';
    case 'eof':
      return 'EOF';
    case 'text':
      return 'text';
    default:
      return `${JSON.stringify(t.raw)}`;
  }
}
