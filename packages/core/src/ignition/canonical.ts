// Canonical form of an Ignition config: keys in Ignition's own struct order (the order Butane
// and Ignition write them), empty objects and unset values dropped. Two equal configs render
// to the same bytes, so rendered configs can be compared, hashed and diffed.
import { CONFIG_TYPE, type FieldType } from './schema.js';
import type { IgnitionConfig } from './types.js';

/** Options of renderIgnition. */
export interface RenderOptions {
  /** indent with two spaces and end with a newline (default: compact, like butane without --pretty) */
  pretty?: boolean;
}

/** A copy of `value` with keys ordered by the field table and empty parts removed. */
export function canonicalize(value: unknown, type: FieldType = CONFIG_TYPE): unknown {
  if (value === undefined || value === null) return undefined;
  if (type.kind === 'list') {
    if (!Array.isArray(value)) return value;
    const items = value.map((v) => canonicalize(v, type.of)).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (type.kind !== 'object') return value;
  if (typeof value !== 'object' || Array.isArray(value)) return value;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of type.fields) {
    if (!(field.json in src)) continue;
    const v = canonicalize(src[field.json], field.type);
    if (v !== undefined) out[field.json] = v;
  }
  // Keys the table does not know (a config read leniently) keep their place at the end.
  for (const [k, v] of Object.entries(src)) {
    if (!(k in out) && !type.fields.some((f) => f.json === k) && v !== undefined) out[k] = v;
  }
  // An object that had keys but lost them all (e.g. user: {}) goes away, as in Butane's output.
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Render a config as canonical JSON text. */
export function renderIgnition(config: IgnitionConfig, opts: RenderOptions = {}): string {
  const c = canonicalize(config) ?? {};
  return opts.pretty ? `${JSON.stringify(c, null, 2)}\n` : JSON.stringify(c);
}
