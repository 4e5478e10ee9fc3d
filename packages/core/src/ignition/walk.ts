// Walks a parsed YAML/JSON document against the field table: checks keys and types, records
// where every value was written, and returns a plain object keyed by Ignition names in the
// canonical (Ignition struct) order. Butane input and Ignition JSON share this walker; only
// the key spelling and the set of allowed keys differ.
import type { Document, LineCounter, Node, Pair } from 'yaml';
import { isAlias, isMap, isPair, isScalar, isSeq } from './yaml-lazy.js';
import type { ConfigPath, ProblemList } from './problems.js';
import { formatPath } from './problems.js';
import { editDistance } from '../text/edit-distance.js';
import type { Field, FieldType } from './schema.js';
import { butaneSpecFor, ignitionVersionOf, type IgnitionMinor } from './versions.js';

/** How the walker reads keys. */
export interface WalkContext {
  mode: 'butane' | 'ignition';
  /** the Ignition minor version the config targets */
  minor: IgnitionMinor;
  /** Butane base level (Butane mode) */
  base?: number;
  variant?: string;
  /** e.g. "flatcar 1.0.0", for messages */
  specName?: string;
  problems: ProblemList;
  doc: Document;
  lineCounter: LineCounter;
  /** top-level keys the caller handles itself (variant, version) */
  skipRootKeys?: ReadonlySet<string>;
  /** unknown keys are errors (true) or warnings (false) */
  unknownKeysAreErrors: boolean;
}

const YAML11_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']);
const YAML11_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

/** Walk the document's root against `type`; undefined when the root is not an object. */
export function walkDocument(ctx: WalkContext, type: FieldType): Record<string, unknown> | undefined {
  const root = ctx.doc.contents;
  const v = walk(ctx, root, type, [], []);
  return v as Record<string, unknown> | undefined;
}

function locOf(ctx: WalkContext, node: Node | null | undefined, display: ConfigPath, fallback?: Node | null) {
  const n = node?.range ? node : fallback;
  const offset = n?.range?.[0];
  if (offset === undefined) return undefined;
  const pos = ctx.lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col, display: formatPath(display) };
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${JSON.stringify(value) ?? typeof value}`;
}

function nodeKind(node: Node): unknown {
  if (isMap(node)) return {};
  if (isSeq(node)) return [];
  if (isScalar(node)) return node.value;
  return undefined;
}

function walk(
  ctx: WalkContext,
  raw: Node | null | undefined,
  type: FieldType,
  path: (string | number)[],
  display: (string | number)[],
  keyNode?: Node | null,
): unknown {
  const node = raw && isAlias(raw) ? (raw.resolve(ctx.doc) as Node | undefined) : raw;
  const loc = locOf(ctx, node, display, keyNode);
  if (loc) ctx.problems.locate(path, loc);
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return undefined;
  const p = ctx.problems;
  switch (type.kind) {
    case 'string': {
      if (isScalar(node) && typeof node.value === 'string') return node.value;
      p.error(
        'IGNITION_TYPE',
        path,
        `expected a string, got ${describe(nodeKind(node))}`,
        quoteHint(ctx, node),
      );
      return undefined;
    }
    case 'boolean': {
      if (isScalar(node) && typeof node.value === 'boolean') return node.value;
      if (
        ctx.mode === 'butane' &&
        isScalar(node) &&
        node.type === 'PLAIN' &&
        typeof node.value === 'string'
      ) {
        // Butane's YAML library (go-yaml v3) still reads YAML 1.1 words into booleans.
        const word = node.value;
        if (YAML11_TRUE.has(word) || YAML11_FALSE.has(word)) {
          // Butane (yaml.v3) reads these as booleans without a word: a notice, never fatal.
          p.notice('IGNITION_YAML11_BOOLEAN', path, `"${word}" is a YAML 1.1 boolean`, 'write true or false');
          return YAML11_TRUE.has(word);
        }
      }
      p.error(
        'IGNITION_TYPE',
        path,
        `expected a boolean (true or false), got ${describe(nodeKind(node))}`,
        'write true or false, unquoted',
      );
      return undefined;
    }
    case 'integer': {
      if (isScalar(node) && typeof node.value === 'number') {
        const src = node.source ?? String(node.value);
        if (Number.isSafeInteger(node.value) && !/[.eE]/.test(src.replace(/^0[xX].*/, ''))) return node.value;
      }
      const modeHint =
        path[path.length - 1] === 'mode'
          ? ctx.mode === 'butane'
            ? 'write the mode as an unquoted octal number, e.g. mode: 0644'
            : 'Ignition wants the mode as a decimal integer, e.g. "mode": 420 for 0644'
          : 'write a whole number, unquoted';
      p.error('IGNITION_TYPE', path, `expected an integer, got ${describe(nodeKind(node))}`, modeHint);
      return undefined;
    }
    case 'list': {
      if (!isSeq(node)) {
        p.error('IGNITION_TYPE', path, `expected a list, got ${describe(nodeKind(node))}`, listHint(ctx));
        return undefined;
      }
      const out: unknown[] = [];
      node.items.forEach((item, i) => {
        const itemPath = [...path, i];
        const itemDisplay = [...display, i];
        const itemNode = item as Node | null;
        if (itemNode === null || (isScalar(itemNode) && itemNode.value === null)) {
          const l = locOf(ctx, itemNode, itemDisplay, node);
          if (l) p.locate(itemPath, l);
          p.error('IGNITION_TYPE', itemPath, 'empty list entry', 'remove the stray "-" line');
          return;
        }
        const v = walk(ctx, itemNode, type.of, itemPath, itemDisplay);
        if (v !== undefined) out.push(v);
      });
      return out;
    }
    case 'object': {
      if (!isMap(node)) {
        p.error(
          'IGNITION_TYPE',
          path,
          `expected an object (key: value pairs), got ${describe(nodeKind(node))}`,
        );
        return undefined;
      }
      return walkObject(ctx, expandMergeKeys(ctx, node.items), type.fields, path, display, node);
    }
  }
}

/** Apply YAML merge keys (`<<: *defaults`), which Butane's parser honours: explicit keys win. */
function expandMergeKeys(ctx: WalkContext, pairs: Pair[]): Pair[] {
  if (ctx.mode !== 'butane' || !pairs.some((p) => isMergeKey(p))) return pairs;
  const own = pairs.filter((p) => !isMergeKey(p));
  const keys = new Set(own.map((p) => (isScalar(p.key) ? p.key.value : undefined)));
  const out = [...own];
  for (const m of pairs.filter(isMergeKey)) {
    const v = m.value as Node | null;
    const sources = v && isSeq(v) ? (v.items as Node[]) : [v];
    for (const src of sources) {
      const map = src && isAlias(src) ? (src.resolve(ctx.doc) as Node | undefined) : src;
      if (!map || !isMap(map)) {
        out.push(m); // not a mapping: left for the walker to report as an unknown key
        continue;
      }
      for (const p of map.items) {
        const k = isScalar(p.key) ? p.key.value : undefined;
        if (!keys.has(k)) {
          keys.add(k);
          out.push(p);
        }
      }
    }
  }
  return out;
}

function isMergeKey(p: Pair): boolean {
  return isScalar(p.key) && p.key.value === '<<' && p.key.type === 'PLAIN';
}

function walkObject(
  ctx: WalkContext,
  pairs: Pair[],
  fields: readonly Field[],
  path: (string | number)[],
  display: (string | number)[],
  mapNode: Node,
): Record<string, unknown> {
  const p = ctx.problems;
  const values = new Map<string, unknown>();
  const seen = new Set<string>();
  for (const pair of pairs) {
    if (!isPair(pair)) continue;
    const keyNode = pair.key as Node | null;
    const key = keyNode && isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof key !== 'string') {
      const l = locOf(ctx, keyNode, display, mapNode);
      const kp = [...path, String(key)];
      if (l) p.locate(kp, { ...l, display: formatPath([...display, String(key)]) });
      p.error('IGNITION_TYPE', kp, `keys must be strings, got ${describe(key)}`);
      continue;
    }
    if (path.length === 0 && ctx.skipRootKeys?.has(key)) continue;
    const keyDisplay = [...display, key];
    const field = fields.find((x) =>
      ctx.mode === 'butane' ? x.yaml === key && !x.jsonOnly : x.json === key && x.butane === undefined,
    );
    if (!field) {
      const kp = [...path, key];
      const l = locOf(ctx, keyNode, keyDisplay);
      if (l) p.locate(kp, l);
      const msg = `unknown key "${key}"`;
      const hint = unknownKeyHint(ctx, key, fields, path);
      if (ctx.unknownKeysAreErrors) p.error('IGNITION_UNKNOWN_KEY', kp, msg, hint);
      else p.warn('IGNITION_UNKNOWN_KEY', kp, `${msg} (ignored)`, hint);
      continue;
    }
    const fp = [...path, field.json];
    if (seen.has(field.json)) {
      // YAML input: the parser already reported the duplicate. JSON: Go's decoder keeps the last.
      if (ctx.mode === 'butane') continue;
      p.warn('IGNITION_DUPLICATE_KEY', fp, `duplicate key "${key}"; the last one wins`, 'remove one of them');
    }
    seen.add(field.json);
    const keyLoc = locOf(ctx, keyNode, keyDisplay);
    if (!fieldAllowed(ctx, field, fp, keyLoc)) continue;
    const v = walk(ctx, pair.value as Node | null, field.type, fp, keyDisplay, keyNode);
    if (v !== undefined) values.set(field.json, v);
  }
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (values.has(field.json)) out[field.json] = values.get(field.json);
    else if (field.required && !(ctx.mode === 'butane' && field.jsonOnly)) {
      p.error(
        'IGNITION_REQUIRED',
        path,
        `missing required key "${ctx.mode === 'butane' ? field.yaml : field.json}"`,
        `add ${ctx.mode === 'butane' ? field.yaml : field.json} to this entry`,
      );
    }
  }
  return out;
}

/** Check version and variant gates of a known key; report and return false when refused. */
function fieldAllowed(
  ctx: WalkContext,
  field: Field,
  fp: (string | number)[],
  keyLoc: ReturnType<typeof locOf>,
): boolean {
  const p = ctx.problems;
  if (keyLoc) p.locate(fp, keyLoc);
  const name = ctx.mode === 'butane' ? field.yaml : field.json;
  if (ctx.mode === 'butane' && field.notFlatcar && ctx.variant === 'flatcar') {
    p.error('IGNITION_UNSUPPORTED_FIELD', fp, `"${name}": ${field.notFlatcar}`, 'remove it from the config');
    return false;
  }
  // A key the spec version does not have is, to Butane and Ignition alike, an unused key: a
  // warning (the key is dropped and the config still produced) unless unknown keys are errors.
  const refuse = (msg: string, hint: string): false => {
    if (ctx.unknownKeysAreErrors) p.error('IGNITION_FIELD_VERSION', fp, msg, hint);
    else p.warn('IGNITION_FIELD_VERSION', fp, `${msg} (ignored)`, hint);
    return false;
  };
  if (ctx.mode === 'butane' && field.butane !== undefined && (ctx.base ?? 0) < field.butane) {
    return refuse(
      `"${name}" is not in Butane ${ctx.specName ?? ''}`.trimEnd(),
      field.butane >= 5
        ? 'use variant flatcar version 1.1.0 (or fcos 1.5.0)'
        : field.butane >= 3
          ? 'use a newer spec version (fcos 1.2.0+)'
          : 'use a newer spec version (fcos 1.1.0+ or flatcar)',
    );
  }
  if (field.since > ctx.minor) {
    const need = ignitionVersionOf(field.since);
    if (ctx.mode === 'butane') {
      const spec = butaneSpecFor(ctx.variant ?? 'flatcar', field.since);
      return refuse(
        `"${name}" needs Ignition ${need}, but Butane ${ctx.specName ?? ''} emits ${ignitionVersionOf(ctx.minor)}`,
        spec ? `set version: ${spec.version}` : 'use a newer spec version',
      );
    }
    return refuse(
      `"${name}" needs Ignition ${need}, but the config says ignition.version ${ignitionVersionOf(ctx.minor)}`,
      `set ignition.version to ${need} or newer`,
    );
  }
  if (ctx.mode === 'butane' && field.unsupported) {
    p.error(
      'IGNITION_UNSUPPORTED_FIELD',
      fp,
      `"${name}" is Butane sugar mantle does not translate`,
      field.unsupported,
    );
    return false;
  }
  return true;
}

function quoteHint(ctx: WalkContext, node: Node): string | undefined {
  if (
    isScalar(node) &&
    typeof node.value !== 'string' &&
    node.value !== null &&
    typeof node.value !== 'object'
  ) {
    const text = node.source ?? JSON.stringify(node.value);
    return ctx.mode === 'butane' ? `quote it: "${text}"` : 'write it as a JSON string';
  }
  return undefined;
}

function listHint(ctx: WalkContext): string {
  return ctx.mode === 'butane'
    ? 'write each entry on its own line starting with "- "'
    : 'write a JSON array: [ ... ]';
}

function unknownKeyHint(ctx: WalkContext, key: string, fields: readonly Field[], path: ConfigPath): string {
  const usable = fields.filter((x) =>
    ctx.mode === 'butane'
      ? !x.jsonOnly && x.since <= ctx.minor && (x.butane ?? 0) <= (ctx.base ?? 0)
      : x.butane === undefined && x.since <= ctx.minor,
  );
  const names = usable.map((x) => (ctx.mode === 'butane' ? x.yaml : x.json));
  if (ctx.mode === 'butane') {
    const camel = fields.find((x) => x.json === key && x.json !== x.yaml);
    if (camel) return `Butane spells it "${camel.yaml}" (snake_case); "${key}" is the Ignition JSON name`;
  } else {
    const snake = fields.find((x) => x.yaml === key && x.json !== x.yaml && x.butane === undefined);
    if (snake) return `Ignition spells it "${snake.json}" (camelCase); "${key}" is the Butane name`;
  }
  const close = names.filter((n) => editDistance(n.toLowerCase(), key.toLowerCase()) <= 2);
  if (close.length > 0) return `did you mean ${close.map((n) => `"${n}"`).join(' or ')}?`;
  if (path.length === 0 && ctx.mode === 'butane') {
    return `known keys here: variant, version, ${names.join(', ')}`;
  }
  return `known keys here: ${names.join(', ')}`;
}
