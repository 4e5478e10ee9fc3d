// Executing a parsed template (text/template/exec.go) over goss's data with goss's option
// missingkey=error: a map key that is not there is an error wherever it is read (printed,
// compared, tested by if); `index` and getEnv give defaults instead. Every rendered piece
// remembers its source offset, so YAML errors in the output point at the template's lines.
import { GoFloat, isPlainObject } from '../go/go-format.js';
import { FuncError, type FuncContext, type ParamType, type TemplateFunc } from './func-types.js';
import {
  argText,
  type ArgNode,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  type ListNode,
  type Node,
  type NumberNode,
  type PipeNode,
  type Tree,
  type VariableNode,
} from './nodes.js';
import { TemplateError } from './template-error.js';
import { TemplateRoot, isMapValue, isTrue, mapGet, mapKeys, printValue, typeName } from './values.js';

/** No final (piped) value. */
const MISSING = Symbol('missing');
type Final = unknown;

class BreakSignal extends Error {}
class ContinueSignal extends Error {}

const MAX_DEPTH = 1000;

/** A piece of output and where it came from. */
export interface Segment {
  out: number;
  src: number;
  literal: boolean;
}

const GO_TYPES: Record<ParamType, string> = {
  value: 'reflect.Value',
  any: 'interface {}',
  string: 'string',
  int: 'int',
  float64: 'float64',
  bool: 'bool',
  list: '[]interface {}',
  map: 'map[string]interface {}',
  strings: '[]string',
};

export class Executor {
  readonly chunks: string[] = [];
  readonly segments: Segment[] = [];
  private outLen = 0;
  private vars: { name: string; value: unknown }[] = [];
  private depth = 0;

  constructor(
    private readonly tree: Tree,
    private readonly funcs: Record<string, TemplateFunc>,
    private readonly fctx: FuncContext,
  ) {}

  run(root: TemplateRoot): void {
    this.vars = [{ name: '$', value: root }];
    this.walkList(root, this.tree.root);
  }

  private emit(text: string, src: number, literal: boolean): void {
    if (text === '') return;
    this.segments.push({ out: this.outLen, src, literal });
    this.chunks.push(text);
    this.outLen += text.length;
  }

  private fail(pos: number, at: string | undefined, message: string): never {
    throw new TemplateError(at ? `executing at <${at}>: ${message}` : message, pos);
  }

  // ---- statements ---------------------------------------------------------------------------

  private walkList(dot: unknown, list: ListNode): void {
    for (const n of list.nodes) this.walk(dot, n);
  }

  private walk(dot: unknown, n: Node): void {
    switch (n.type) {
      case 'list':
        return this.walkList(dot, n);
      case 'text':
        return this.emit(n.text, n.pos, true);
      case 'action': {
        const v = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) this.emit(printValue(v), n.pos, false);
        return;
      }
      case 'if':
      case 'with':
        return this.walkIfOrWith(dot, n);
      case 'range':
        return this.walkRange(dot, n);
      case 'template':
        return this.walkTemplate(dot, n.name, n.pipe, n.pos);
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
    }
  }

  private scoped(fn: () => void): void {
    const mark = this.vars.length;
    try {
      fn();
    } finally {
      this.vars.length = mark;
    }
  }

  private walkIfOrWith(dot: unknown, n: BranchNode): void {
    this.scoped(() => {
      const val = this.evalPipeline(dot, n.pipe);
      if (isTrue(val)) {
        if (n.type === 'with') this.walkList(val, n.list);
        else this.walkList(dot, n.list);
      } else if (n.elseList) this.walkList(dot, n.elseList);
    });
  }

  private walkRange(dot: unknown, n: BranchNode): void {
    this.scoped(() => {
      const val = this.evalPipeline(dot, n.pipe);
      const decl = n.pipe.decl;
      const mark = this.vars.length;
      const one = (key: unknown, elem: unknown): boolean => {
        if (decl.length === 1) this.setVar(decl[0] as VariableNode, elem, n.pipe.isAssign, mark);
        if (decl.length === 2) {
          this.setVar(decl[0] as VariableNode, key, n.pipe.isAssign, mark, 2);
          this.setVar(decl[1] as VariableNode, elem, n.pipe.isAssign, mark);
        }
        const inner = this.vars.length;
        try {
          this.walkList(elem, n.list);
        } catch (sig) {
          if (sig instanceof BreakSignal) return false;
          if (!(sig instanceof ContinueSignal)) throw sig;
        } finally {
          this.vars.length = inner;
        }
        return true;
      };
      let entries: [unknown, unknown][];
      if (Array.isArray(val)) entries = val.map((x, i) => [i, x]);
      else if (isMapValue(val)) entries = mapKeys(val).map((k) => [k, mapGet(val, k).value]);
      else if (typeof val === 'number' && Number.isInteger(val)) {
        if (decl.length > 1)
          this.fail(n.pos, undefined, `can't use ${val} to iterate over more than one variable`);
        entries = Array.from({ length: Math.max(0, val) }, (_, i) => [i, i]);
      } else if (val === null || val === undefined) entries = [];
      else return this.fail(n.pos, n.pipe.text, `range can't iterate over ${printValue(val)}`);
      if (entries.length === 0) {
        if (n.elseList) this.walkList(dot, n.elseList);
        return;
      }
      for (const [k, e] of entries) if (!one(k, e)) break;
    });
  }

  private walkTemplate(dot: unknown, name: string, pipe: PipeNode | undefined, pos: number): void {
    const body = this.tree.defines.get(name);
    if (!body)
      this.fail(pos, undefined, `template: no template ${JSON.stringify(name)} associated with template`);
    if (++this.depth > MAX_DEPTH) this.fail(pos, undefined, `exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = pipe ? this.evalPipeline(dot, pipe) : null;
    const saved = this.vars;
    // No dynamic scoping: a called template sees only $ (its dot).
    this.vars = [{ name: '$', value: newDot }];
    try {
      this.walkList(newDot, body);
    } finally {
      this.vars = saved;
      this.depth--;
    }
  }

  private setVar(v: VariableNode, value: unknown, assign: boolean, mark: number, fromTop = 1): void {
    const name = v.ident[0] as string;
    if (assign) {
      for (let i = this.vars.length - 1; i >= 0; i--) {
        const slot = this.vars[i];
        if (slot?.name === name) {
          slot.value = value;
          return;
        }
      }
      this.fail(v.pos, undefined, `undefined variable: ${name}`);
    }
    // range's variables were pushed once by evalPipeline; each iteration sets them.
    const slot = this.vars[mark - fromTop];
    if (slot) slot.value = value;
  }

  // ---- expressions ----------------------------------------------------------------------------

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v, value, true, this.vars.length);
      else this.vars.push({ name: v.ident[0] as string, value });
    }
    return value;
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0] as ArgNode;
    switch (first.type) {
      case 'field':
        return this.evalFieldChain(dot, dot, first, first.ident, cmd.args, final);
      case 'chain':
        return this.evalChain(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first.ident, first.pos, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final, first);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariable(dot, first, cmd.args, final);
    }
    this.notAFunction(cmd.args, final, first);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
      default:
        return this.fail(first.pos, undefined, 'nil is not a command');
    }
  }

  private notAFunction(args: ArgNode[], final: Final, first: ArgNode): void {
    if (args.length > 1 || final !== MISSING)
      this.fail(first.pos, argText(first), `can't give argument to non-function ${argText(first)}`);
  }

  private idealConstant(n: NumberNode): unknown {
    if (n.isChar) return n.value;
    if (!/^[+-]?0[xX][0-9a-fA-F_]+$/.test(n.text) && /[.eEpP]/.test(n.text)) return new GoFloat(n.value);
    if (!n.isInt) this.fail(n.pos, undefined, `${n.text} overflows int`);
    return n.value;
  }

  private evalVariable(dot: unknown, v: VariableNode, args: ArgNode[], final: Final): unknown {
    const name = v.ident[0] as string;
    let value: unknown;
    let found = false;
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const slot = this.vars[i];
      if (slot?.name === name) {
        value = slot.value;
        found = true;
        break;
      }
    }
    if (!found) this.fail(v.pos, undefined, `undefined variable: ${name}`);
    if (v.ident.length === 1) {
      this.notAFunction(args, final, v);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalChain(dot: unknown, chain: ChainNode, args: ArgNode[], final: Final): unknown {
    const base = this.evalArg(dot, 'any', chain.node);
    return this.evalFieldChain(dot, base, chain, chain.field, args, final);
  }

  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: ArgNode,
    idents: string[],
    args: ArgNode[],
    final: Final,
  ): unknown {
    let cur = receiver;
    for (let i = 0; i < idents.length; i++) {
      const last = i === idents.length - 1;
      cur = this.evalField(cur, idents[i] as string, node, last ? args : [node], last ? final : MISSING);
    }
    return cur;
  }

  private evalField(receiver: unknown, name: string, node: ArgNode, args: ArgNode[], final: Final): unknown {
    const at = argText(node);
    const hasArgs = args.length > 1 || final !== MISSING;
    if (receiver instanceof TemplateRoot) {
      if (name === 'Vars') {
        if (hasArgs) this.fail(node.pos, at, `Vars has arguments but cannot be invoked as function`);
        return receiver.vars;
      }
      if (name === 'Env') {
        const n = args.length - 1 + (final !== MISSING ? 1 : 0);
        if (n > 0) this.fail(node.pos, at, `wrong number of args for Env: want 0 got ${n}`);
        return receiver.env;
      }
      return this.fail(node.pos, at, `can't evaluate field ${name} in type *goss.TmplVars`);
    }
    if (receiver === undefined)
      return this.fail(node.pos, at, `nil data; no entry for key ${JSON.stringify(name)}`);
    if (receiver === null) return this.fail(node.pos, at, `nil pointer evaluating interface {}.${name}`);
    if (isMapValue(receiver)) {
      if (hasArgs) this.fail(node.pos, at, `${name} is not a method but has arguments`);
      const got = mapGet(receiver, name);
      if (!got.found)
        return this.fail(
          node.pos,
          at,
          `map has no entry for key ${JSON.stringify(name)}${missingHint(at, name)}`,
        );
      return got.value;
    }
    return this.fail(node.pos, at, `can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private evalFunction(dot: unknown, name: string, pos: number, args: ArgNode[], final: Final): unknown {
    const fn = this.funcs[name];
    if (!fn) return this.fail(pos, undefined, `function ${JSON.stringify(name)} not defined`);
    const argNodes = args.slice(1);
    const n = argNodes.length + (final !== MISSING ? 1 : 0);
    if (fn.variadic) {
      if (n < fn.params.length)
        this.fail(pos, name, `wrong number of args for ${name}: want at least ${fn.params.length} got ${n}`);
    } else if (n !== fn.params.length) {
      this.fail(pos, name, `wrong number of args for ${name}: want ${fn.params.length} got ${n}`);
    }
    const typeAt = (i: number): ParamType => fn.params[i] ?? fn.variadic ?? 'any';
    let values: unknown[];
    if (fn.lazy) {
      values = argNodes.map((a, i) => () => this.evalArg(dot, typeAt(i), a));
      if (final !== MISSING) values.push(() => final);
    } else {
      values = argNodes.map((a, i) => this.evalArg(dot, typeAt(i), a));
      if (final !== MISSING) values.push(this.validateType(final, typeAt(argNodes.length), pos, name));
    }
    try {
      return fn.fn(values, this.fctx);
    } catch (err) {
      if (err instanceof FuncError) return this.fail(pos, name, `error calling ${name}: ${err.message}`);
      throw err;
    }
  }

  private evalArg(dot: unknown, type: ParamType, n: ArgNode): unknown {
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, type, n.pos, '.');
      case 'nil':
        if (type === 'any' || type === 'value' || type === 'list' || type === 'map' || type === 'strings')
          return null;
        return this.fail(n.pos, undefined, `cannot assign nil to ${GO_TYPES[type]}`);
      case 'field':
        return this.validateType(
          this.evalFieldChain(dot, dot, n, n.ident, [n], MISSING),
          type,
          n.pos,
          argText(n),
        );
      case 'variable':
        return this.validateType(this.evalVariable(dot, n, [n], MISSING), type, n.pos, argText(n));
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), type, n.pos, n.text);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n.ident, n.pos, [n], MISSING), type, n.pos, n.ident);
      case 'chain':
        return this.validateType(this.evalChain(dot, n, [n], MISSING), type, n.pos, argText(n));
    }
    const found = (): never =>
      this.fail(n.pos, undefined, `expected ${expectedWord(type)}; found ${argText(n)}`);
    switch (type) {
      case 'string':
        return n.type === 'string' ? n.text : found();
      case 'int':
        return n.type === 'number' && n.isInt ? n.value : found();
      case 'float64':
        return n.type === 'number' && n.isFloat ? new GoFloat(n.value) : found();
      case 'bool':
        return n.type === 'bool' ? n.value : found();
      case 'list':
      case 'map':
      case 'strings':
        return this.fail(n.pos, undefined, `can't handle ${argText(n)} for arg of type ${GO_TYPES[type]}`);
      default:
        if (n.type === 'bool') return n.value;
        if (n.type === 'number') return this.idealConstant(n);
        return n.text;
    }
  }

  private validateType(value: unknown, type: ParamType, pos: number, at: string): unknown {
    const wrong = (): never =>
      this.fail(pos, at, `wrong type for value; expected ${GO_TYPES[type]}; got ${typeName(value)}`);
    if (type === 'any' || type === 'value') return value;
    if (value === null || value === undefined) {
      if (type === 'list' || type === 'map' || type === 'strings') return null;
      return this.fail(pos, at, `invalid value; expected ${GO_TYPES[type]}`);
    }
    switch (type) {
      case 'string':
        return typeof value === 'string' ? value : wrong();
      case 'int':
        return typeof value === 'number' && Number.isInteger(value) ? value : wrong();
      case 'float64':
        return value instanceof GoFloat
          ? value
          : typeof value === 'number' && !Number.isInteger(value)
            ? new GoFloat(value)
            : wrong();
      case 'bool':
        return typeof value === 'boolean' ? value : wrong();
      case 'list':
        return Array.isArray(value) ? value : wrong();
      case 'strings':
        return Array.isArray(value) && value.every((x) => typeof x === 'string') ? value : wrong();
      case 'map':
        return isPlainObject(value) && !(value instanceof TemplateRoot) ? value : wrong();
    }
  }
}

function expectedWord(type: ParamType): string {
  switch (type) {
    case 'int':
      return 'integer';
    case 'float64':
      return 'float';
    default:
      return GO_TYPES[type];
  }
}

/** What to do instead of reading a key that may not be there (goss runs with missingkey=error). */
function missingHint(at: string, key: string): string {
  if (/^\$?\.Env\./.test(at))
    return ` (the environment has no ${key}; getEnv "${key}" "default" gives a default)`;
  if (/^\$?\.Vars\./.test(at))
    return ' (give it with --vars FILE or --vars-inline, or test for it with index or hasKey)';
  return '';
}
