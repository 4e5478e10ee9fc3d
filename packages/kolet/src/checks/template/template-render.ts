import {
  TemplateError,
  hasTemplateSyntax,
  parseTemplate,
  type Command,
  type Operand,
  type Pipeline,
  type TemplateFunction,
  type TemplateNode,
} from './template-parse.js';

/** What a spec template sees: `.Vars` (--vars, then --vars-inline over it) and `.Env`. */
export interface TemplateData {
  vars: Record<string, unknown>;
  env: Record<string, string | undefined>;
}

/** Rendered text that still knows where each of its characters came from. */
export interface RenderedText {
  text: string;
  /** the source offset of a rendered offset (a printed value maps to its action's `{{`) */
  toSource(offset: number): number;
}

/** A value that is not there (Go's "no value", a missing map key); remembers what was asked for. */
class Missing {
  constructor(readonly what: string) {}
}

/** The template's root: only `.Vars` and `.Env` (goss's TmplVars). */
class Root {
  constructor(
    readonly vars: Record<string, unknown>,
    readonly env: Record<string, string>,
  ) {}
}

interface Segment {
  out: number;
  src: number;
  literal: boolean;
}

/**
 * Render a spec as a Go text/template (the subset in template-parse.ts) with goss's data. Text
 * without `{{` is returned as it is. Throws TemplateError (with the source offset) for syntax
 * kolet does not implement and for values it cannot print, such as a var that is not set.
 */
export function renderTemplate(src: string, data: TemplateData): RenderedText {
  if (!hasTemplateSyntax(src)) return { text: src, toSource: (o) => o };
  const nodes = parseTemplate(src);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(data.env)) if (v !== undefined) env[k] = v;
  const r = new Renderer(new Root(data.vars, env));
  r.exec(nodes, r.root);
  return r.result();
}

class Renderer {
  private readonly chunks: string[] = [];
  private outLen = 0;
  private readonly segments: Segment[] = [];
  /** variable frames, innermost last */
  private readonly frames: Map<string, unknown>[];

  constructor(readonly root: Root) {
    this.frames = [new Map<string, unknown>([['$', root]])];
  }

  result(): RenderedText {
    const segs = this.segments;
    return {
      text: this.chunks.join(''),
      toSource: (offset) => {
        let lo = 0;
        let hi = segs.length - 1;
        if (hi < 0) return 0;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if ((segs[mid] as Segment).out <= offset) lo = mid;
          else hi = mid - 1;
        }
        const s = segs[lo] as Segment;
        return s.literal ? s.src + Math.max(0, offset - s.out) : s.src;
      },
    };
  }

  private emit(text: string, src: number, literal: boolean): void {
    if (text === '') return;
    this.segments.push({ out: this.outLen, src, literal });
    this.chunks.push(text);
    this.outLen += text.length;
  }

  exec(nodes: TemplateNode[], dot: unknown): void {
    for (const n of nodes) {
      switch (n.t) {
        case 'text':
          this.emit(n.text, n.pos, true);
          break;
        case 'print': {
          const v = this.pipeline(n.pipe, dot, true);
          if (!n.pipe.decl) this.emit(printable(v, n.pipe), n.pos, false);
          break;
        }
        case 'if':
          this.block(() => {
            for (const b of n.branches) {
              if (truth(this.pipeline(b.cond, dot, true))) {
                this.block(() => this.exec(b.body, dot));
                return;
              }
            }
            this.block(() => this.exec(n.elseBody, dot));
          });
          break;
        case 'with':
          this.block(() => {
            const v = this.pipeline(n.pipe, dot, true);
            if (truth(v)) this.block(() => this.exec(n.body, v));
            else this.block(() => this.exec(n.elseBody, dot));
          });
          break;
        case 'range':
          this.block(() => this.range(n, dot));
          break;
      }
    }
  }

  private range(n: Extract<TemplateNode, { t: 'range' }>, dot: unknown): void {
    const v = this.pipeline(n.pipe, dot, false);
    let entries: [unknown, unknown][];
    if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
    else if (isMapping(v))
      entries = Object.keys(v)
        .sort()
        .map((k) => [k, v[k]]);
    else if (v instanceof Missing || v === null)
      entries = []; // as Go: nothing to range over is no iteration
    else
      throw new TemplateError(
        `${short(n.pipe.text)}: range can't iterate over ${describe(v)} (only a list or a mapping)`,
        n.pos,
      );
    if (entries.length === 0) {
      this.block(() => this.exec(n.elseBody, dot));
      return;
    }
    const names = n.pipe.decl?.names ?? [];
    for (const [key, elem] of entries) {
      this.block(() => {
        const frame = this.frames[this.frames.length - 1] as Map<string, unknown>;
        if (names.length === 1) frame.set(names[0] as string, elem);
        if (names.length === 2) {
          frame.set(names[0] as string, key);
          frame.set(names[1] as string, elem);
        }
        this.exec(n.body, elem);
      });
    }
  }

  /** Run fn with a fresh variable frame (Go scopes variables to the enclosing block). */
  private block(fn: () => void): void {
    this.frames.push(new Map());
    try {
      fn();
    } finally {
      this.frames.pop();
    }
  }

  private pipeline(p: Pipeline, dot: unknown, declare: boolean): unknown {
    let value: unknown;
    p.cmds.forEach((c, i) => {
      value = this.command(c, dot, i > 0 ? { value } : undefined);
    });
    if (declare && p.decl) {
      const name = p.decl.names[0] as string;
      if (p.decl.assign) {
        // the parser made sure it is declared; $ itself lives in the outermost frame
        const frame = [...this.frames].reverse().find((f) => f.has(name)) ?? this.frames[0];
        frame?.set(name, value);
      } else {
        (this.frames[this.frames.length - 1] as Map<string, unknown>).set(name, value);
      }
    }
    return value;
  }

  private command(c: Command, dot: unknown, piped: { value: unknown } | undefined): unknown {
    const head = c.args[0] as Operand;
    if (head.t === 'func') return this.call(head.name, head.pos, c.args.slice(1), dot, piped);
    return this.operand(head, dot);
  }

  private operand(op: Operand, dot: unknown): unknown {
    switch (op.t) {
      case 'field':
        return this.walk(dot, op.names, '', op.pos, dot !== this.root);
      case 'dot':
        return dot;
      case 'var':
        return this.walk(this.lookup(op.name, op.pos), op.fields, op.name, op.pos, false);
      case 'string':
      case 'number':
      case 'bool':
        return op.value;
      case 'nil':
        return null;
      case 'func':
        return this.call(op.name, op.pos, [], dot, undefined);
      case 'paren':
        return this.pipeline(op.pipe, dot, false);
    }
  }

  private lookup(name: string, pos: number): unknown {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i] as Map<string, unknown>;
      if (f.has(name)) return f.get(name);
    }
    throw new TemplateError(`undefined variable "${name}"`, pos);
  }

  /** Follow `.a.b` from a value; a missing key gives Missing (as Go's "no value"), never a guess. */
  private walk(base: unknown, names: string[], label: string, pos: number, inElement: boolean): unknown {
    let cur = base;
    let path = label;
    for (const name of names) {
      const before = path || '.';
      path = `${path}.${name}`;
      if (cur instanceof Missing) return new Missing(path);
      if (cur instanceof Root) {
        if (name === 'Vars') cur = cur.vars;
        else if (name === 'Env') cur = cur.env;
        else
          throw new TemplateError(
            `${path}: the template data has only .Vars and .Env (field "${name}" does not exist)`,
            pos,
          );
      } else if (isMapping(cur)) {
        cur = Object.hasOwn(cur, name) ? cur[name] : new Missing(path);
      } else {
        const hint = inElement
          ? ' (inside range or with, . is the current element: use $.Vars or $.Env)'
          : '';
        throw new TemplateError(
          `${path}: can't read field "${name}" of ${before}, ${describe(cur)}${hint}`,
          pos,
        );
      }
    }
    return cur;
  }

  private call(
    name: TemplateFunction,
    pos: number,
    argOps: Operand[],
    dot: unknown,
    piped: { value: unknown } | undefined,
  ): unknown {
    const thunks: (() => unknown)[] = argOps.map((op) => () => this.operand(op, dot));
    if (piped) thunks.push(() => piped.value);
    const fail = (msg: string): never => {
      throw new TemplateError(`${name}: ${msg}`, pos);
    };
    const arity = (min: number, max = min): void => {
      if (thunks.length < min || thunks.length > max) {
        const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} or ${max}`;
        fail(`expected ${want} argument${want === '1' ? '' : 's'}, got ${thunks.length}`);
      }
    };
    // and/or evaluate only as far as they must, as Go's do (a later argument may not be valid).
    if (name === 'and' || name === 'or') {
      arity(1, Infinity);
      let v: unknown;
      for (const t of thunks) {
        v = t();
        if (truth(v) !== (name === 'and')) return v;
      }
      return v;
    }
    const args = thunks.map((t) => t());
    const str = (v: unknown, what: string): string =>
      typeof v === 'string' ? v : fail(`${what} must be a string, got ${describe(v)}`);
    switch (name) {
      case 'not':
        arity(1);
        return !truth(args[0]);
      case 'eq':
        arity(2, Infinity);
        return args.slice(1).some((b) => equal(args[0], b, fail));
      case 'ne':
        arity(2);
        return !equal(args[0], args[1], fail);
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        arity(2);
        const [a, b] = args;
        if (!(
          (typeof a === 'number' && typeof b === 'number') ||
          (typeof a === 'string' && typeof b === 'string')
        ))
          fail(`can only compare two numbers or two strings, got ${describe(a)} and ${describe(b)}`);
        const x = a as number | string;
        const y = b as number | string;
        return name === 'lt' ? x < y : name === 'le' ? x <= y : name === 'gt' ? x > y : x >= y;
      }
      case 'index': {
        arity(1, Infinity);
        let cur = args[0];
        for (const key of args.slice(1)) {
          if (key instanceof Missing) fail(`the key ${key.what} has no value`);
          if (cur instanceof Root) cur = { Vars: cur.vars, Env: cur.env };
          if (Array.isArray(cur)) {
            if (typeof key !== 'number' || !Number.isInteger(key))
              fail(`a list is indexed by a whole number, got ${describe(key)}`);
            const k = key as number;
            if (k < 0 || k >= cur.length) fail(`index out of range: ${k} (the list has ${cur.length} items)`);
            cur = cur[k];
          } else if (isMapping(cur)) {
            if (typeof key !== 'string') fail(`a mapping is indexed by a string, got ${describe(key)}`);
            const k = key as string;
            cur = Object.hasOwn(cur, k) ? cur[k] : new Missing(`index ... ${JSON.stringify(k)}`);
          } else {
            fail(`can't index ${cur instanceof Missing ? `${cur.what}: it has no value` : describe(cur)}`);
          }
        }
        return cur;
      }
      case 'len': {
        arity(1);
        const v = args[0];
        if (typeof v === 'string') return Buffer.byteLength(v); // Go counts bytes
        if (Array.isArray(v)) return v.length;
        if (isMapping(v)) return Object.keys(v).length;
        return fail(`can't take the length of ${describe(v)}`);
      }
      case 'getEnv': {
        arity(1, 2);
        const value = this.root.env[str(args[0], 'the variable name')] ?? '';
        return value === '' && args.length > 1 ? str(args[1], 'the default') : value;
      }
      case 'mkSlice':
        for (const a of args) if (a instanceof Missing) fail(`${a.what} has no value`);
        return args;
      case 'toLower':
      case 'toUpper': {
        arity(1);
        const s = str(args[0], 'the argument');
        return name === 'toLower' ? s.toLowerCase() : s.toUpperCase();
      }
      case 'regexMatch': {
        arity(2);
        const re = str(args[0], 'the regular expression');
        const s = str(args[1], 'the value');
        let rx: RegExp;
        try {
          rx = new RegExp(re, 'u');
        } catch (err) {
          return fail(`invalid regular expression ${JSON.stringify(re)}: ${(err as Error).message}`);
        }
        return rx.test(s);
      }
    }
  }
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Missing) &&
    !(v instanceof Root)
  );
}

/** Go's truth: false, 0, "", nil, empty lists and mappings, and no value are false. */
function truth(v: unknown): boolean {
  if (v instanceof Missing || v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '';
  if (Array.isArray(v)) return v.length > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  return true;
}

/**
 * Go's eq for basic values: same kinds compare, different kinds are an error, and no value
 * (a missing key, nil) equals only no value.
 */
function equal(a: unknown, b: unknown, fail: (msg: string) => never): boolean {
  const kind = (v: unknown): string | undefined =>
    v instanceof Missing || v === null
      ? 'none'
      : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
        ? typeof v
        : undefined;
  const ka = kind(a);
  const kb = kind(b);
  if (ka === undefined || kb === undefined)
    return fail(`can only compare strings, numbers and booleans, got ${describe(ka === undefined ? a : b)}`);
  if (ka === 'none' || kb === 'none') return ka === kb;
  if (ka !== kb) return fail(`incompatible types for comparison: ${describe(a)} and ${describe(b)}`);
  return a === b;
}

function describe(v: unknown): string {
  if (v instanceof Missing) return `no value (${v.what})`;
  if (v instanceof Root) return 'the template data';
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

function short(actionText: string): string {
  const oneLine = actionText.replace(/\s+/g, ' ');
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...}}` : oneLine;
}

/** The text a printed value becomes; what has no sensible YAML text is an error, not "<no value>". */
function printable(v: unknown, pipe: Pipeline): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const at = short(pipe.text);
  if (v instanceof Missing) {
    const env = /^\$?\.Env\.(\w+)$/.exec(v.what);
    const why = env
      ? `the environment has no ${env[1]} (getEnv "${env[1]}" "default" gives a default)`
      : /^\$?\.Vars\./.test(v.what)
        ? 'not in the vars (give them with --vars FILE or --vars-inline)'
        : 'no such key';
    throw new TemplateError(`${at}: ${v.what} has no value: ${why}`, pipe.pos);
  }
  if (v === null || v === undefined) throw new TemplateError(`${at}: the value is null`, pipe.pos);
  throw new TemplateError(
    `${at}: can't print ${describe(v)}${Array.isArray(v) || isMapping(v) ? '; {{range}} over it to print its items' : ''}`,
    pipe.pos,
  );
}
