// The gjson path language (https://github.com/tidwall/gjson/blob/master/SYNTAX.md) that goss's
// `gjson` matcher takes, over JSON.parse'd values: `a.b`, `a\.b` (escaped dot), wildcards `*`
// and `?` in keys, array indexes `list.0`, `list.#` (length), `list.#.name` (every element),
// queries `list.#(name=="x")` (first) and `list.#(age>40)#` (all) with == != < <= > >= % !%,
// `|` pipes, and the modifiers @this @reverse @keys @values @flatten @valid @ugly @pretty.
// Numbers come back as Go's float64 (GoFloat), as gjson's Value() gives them.
import { GoFloat } from '../go/go-format.js';
import { MatchError } from './matcher.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Step {
  /** the separator before this step ('.' or '|'; '.' for the first) */
  sep: '.' | '|';
  kind: 'key' | 'wild' | 'count' | 'query' | 'modifier';
  /** the key (unescaped), wildcard pattern, modifier name, or query condition */
  text: string;
  /** `#(...)#`: every match instead of the first */
  all?: boolean;
}

/** Whether the text is valid JSON (gjson.Valid). */
export function gjsonValid(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The value at a path of a JSON text; `exists` false when the path leads nowhere. */
export function gjsonGet(text: string, path: string): { exists: boolean; value: unknown } {
  const doc = JSON.parse(text) as Json;
  const r = evaluate(doc, parsePath(path), 0);
  return r === undefined ? { exists: false, value: null } : { exists: true, value: toGo(r) };
}

function toGo(v: Json): unknown {
  if (typeof v === 'number') return new GoFloat(v);
  if (Array.isArray(v)) return v.map(toGo);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toGo(x);
    return out;
  }
  return v;
}

/** Split a path into steps; escapes (`\.`) and parentheses of queries are respected. */
function parsePath(path: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  let sep: '.' | '|' = '.';
  while (i <= path.length) {
    if (path.startsWith('#(', i) || path.startsWith('#[', i)) {
      const open = path[i + 1] as string;
      const close = open === '(' ? ')' : ']';
      let depth = 0;
      let j = i + 1;
      let quote = false;
      for (; j < path.length; j++) {
        const c = path[j];
        if (quote) {
          if (c === '\\') j++;
          else if (c === '"') quote = false;
          continue;
        }
        if (c === '"') quote = true;
        else if (c === open) depth++;
        else if (c === close && --depth === 0) break;
      }
      if (j >= path.length) throw new MatchError(`gjson: unclosed query in path ${JSON.stringify(path)}`);
      const all = path[j + 1] === '#';
      steps.push({ sep, kind: 'query', text: path.slice(i + 2, j), all });
      i = j + 1 + (all ? 1 : 0);
    } else {
      let text = '';
      let wild = false;
      for (; i < path.length; i++) {
        const c = path[i] as string;
        if (c === '\\' && i + 1 < path.length) {
          text += path[++i];
          continue;
        }
        if (c === '.' || c === '|') break;
        if (c === '*' || c === '?') wild = true;
        text += c;
      }
      if (text === '#') steps.push({ sep, kind: 'count', text });
      else if (text.startsWith('@'))
        steps.push({ sep, kind: 'modifier', text: text.slice(1).split(':')[0] ?? '' });
      else steps.push({ sep, kind: wild ? 'wild' : 'key', text });
    }
    if (i >= path.length) break;
    const c = path[i];
    if (c !== '.' && c !== '|')
      throw new MatchError(`gjson: unexpected ${JSON.stringify(c)} in path ${JSON.stringify(path)}`);
    sep = c;
    i++;
  }
  return steps;
}

function evaluate(value: Json, steps: Step[], at: number): Json | undefined {
  if (at >= steps.length) return value;
  const step = steps[at] as Step;
  switch (step.kind) {
    case 'modifier':
      return evaluateNext(modifier(value, step.text), steps, at);
    case 'key':
    case 'wild': {
      let next: Json | undefined;
      if (Array.isArray(value)) {
        if (step.kind === 'key' && /^\d+$/.test(step.text)) next = value[Number(step.text)];
      } else if (value !== null && typeof value === 'object') {
        if (step.kind === 'key') next = Object.hasOwn(value, step.text) ? value[step.text] : undefined;
        else {
          const k = Object.keys(value).find((key) => wildcardMatch(step.text, key));
          next = k === undefined ? undefined : value[k];
        }
      }
      return evaluateNext(next, steps, at);
    }
    case 'count': {
      if (!Array.isArray(value)) return undefined;
      if (at + 1 >= steps.length) return value.length;
      return mapElements(value, steps, at + 1);
    }
    case 'query': {
      if (!Array.isArray(value)) return undefined;
      const hits = value.filter((el) => queryHolds(el, step.text));
      if (!step.all) return evaluateNext(hits[0], steps, at);
      if (at + 1 >= steps.length) return hits;
      return mapElements(hits, steps, at + 1);
    }
  }
}

function evaluateNext(next: Json | undefined, steps: Step[], at: number): Json | undefined {
  return next === undefined ? undefined : evaluate(next, steps, at + 1);
}

/** Apply the steps up to the next `|` to every element; the pipe continues on the collected list. */
function mapElements(list: Json[], steps: Step[], from: number): Json | undefined {
  let end = from;
  while (end < steps.length && !(end > from && (steps[end] as Step).sep === '|')) end++;
  const inner = steps.slice(from, end);
  const collected: Json[] = [];
  for (const el of list) {
    const r = evaluate(el, inner, 0);
    if (r !== undefined) collected.push(r);
  }
  return evaluate(collected, steps, end);
}

function modifier(value: Json, name: string): Json | undefined {
  switch (name) {
    case 'this':
    case 'valid':
    case 'ugly':
    case 'pretty':
      return value;
    case 'reverse':
      if (Array.isArray(value)) return [...value].reverse();
      if (value !== null && typeof value === 'object')
        return Object.fromEntries(Object.entries(value).reverse());
      return value;
    case 'keys':
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
    case 'values':
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.values(value) : [];
    case 'flatten':
      return Array.isArray(value) ? value.flatMap((x) => (Array.isArray(x) ? x : [x])) : value;
    case 'tostr':
      return JSON.stringify(value);
    case 'fromstr':
      if (typeof value !== 'string') return undefined;
      try {
        return JSON.parse(value) as Json;
      } catch {
        return undefined;
      }
    default:
      throw new MatchError(`gjson: the modifier @${name} is not supported by kolet`);
  }
}

const OPS = ['==', '!=', '<=', '>=', '!%', '=', '<', '>', '%'] as const;

function queryHolds(el: Json, cond: string): boolean {
  const { left, op, right } = splitCondition(cond);
  const target = left === '' ? el : evaluate(el, parsePath(left), 0);
  if (op === undefined) return target !== undefined;
  if (target === undefined) return false;
  let want: Json;
  try {
    want = JSON.parse(right) as Json;
  } catch {
    want = right;
  }
  if (op === '%' || op === '!%') {
    const m = typeof target === 'string' && typeof want === 'string' && wildcardMatch(want, target);
    return op === '%' ? m : !m;
  }
  const cmp = compare(target, want);
  if (cmp === undefined) return op === '!=';
  switch (op) {
    case '=':
    case '==':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
  }
}

function splitCondition(cond: string): { left: string; op: (typeof OPS)[number] | undefined; right: string } {
  let quote = false;
  for (let i = 0; i < cond.length; i++) {
    const c = cond[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '"') quote = !quote;
    if (quote) continue;
    const op = OPS.find((o) => cond.startsWith(o, i));
    if (op) return { left: cond.slice(0, i).trim(), op, right: cond.slice(i + op.length).trim() };
  }
  return { left: cond.trim(), op: undefined, right: '' };
}

function compare(a: Json, b: Json): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a === null && b === null) return 0;
  return undefined;
}

/** gjson's wildcard match: `*` any run, `?` any one character. */
function wildcardMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[\\s\\S]*')
      .replace(/\?/g, '[\\s\\S]')}$`,
  );
  return re.test(text);
}
