import type { z } from 'zod';
import { zodLib } from '../lazy/libs.js';
import { registerSecret } from '../log/redact.js';
import { maskIdentifier, maskSecretValue } from './mask.js';

/** How a credential field is shown: secrets never, identifiers by their last 4 characters, the rest as is. */
type FieldKind = 'secret' | 'id' | 'plain';

/** One field of a credential record, named as in the file users edit. */
export interface FieldSpec {
  /** the key in the file, e.g. `api_key` */
  key: string;
  /** the property of the typed credentials, e.g. `apiKey` */
  prop: string;
  type: 'string' | 'number' | 'boolean';
  required: boolean;
  kind: FieldKind;
}

/** What checking a raw record against its field specs found. */
export interface FieldCheck {
  /** the typed values by `prop`, when the record is valid */
  value?: Record<string, unknown>;
  /** required keys that are absent */
  missing: string[];
  /** one line per problem, e.g. `has no field "api_key"`; values are never quoted */
  problems: string[];
}

/** The zod schema of a record with these fields (unknown keys are allowed: the original tools ignore them). */
function schemaFor(fields: readonly FieldSpec[]): z.ZodType<Record<string, unknown>> {
  const z = zodLib();
  const shape: Record<string, z.ZodType> = {};
  for (const f of fields) {
    const base = f.type === 'string' ? z.string().min(1) : f.type === 'number' ? z.number() : z.boolean();
    shape[f.key] = f.required ? base : base.optional();
  }
  return z.looseObject(shape);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** Validate a raw record (from JSON, INI or the environment) and map it to typed props. */
export function checkFields(raw: unknown, fields: readonly FieldSpec[]): FieldCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { missing: [], problems: [`must be an object of settings, got ${typeName(raw)}`] };
  }
  const rec = raw as Record<string, unknown>;
  const res = schemaFor(fields).safeParse(rec);
  if (res.success) {
    const value: Record<string, unknown> = {};
    for (const f of fields) if (rec[f.key] !== undefined) value[f.prop] = rec[f.key];
    return { value, missing: [], problems: [] };
  }
  const missing: string[] = [];
  const problems: string[] = [];
  for (const issue of res.error.issues) {
    const key = String(issue.path[0] ?? '');
    const spec = fields.find((f) => f.key === key);
    const got = rec[key];
    if (got === undefined) {
      missing.push(key);
      problems.push(`has no field "${key}"`);
    } else if (issue.code === 'invalid_type') {
      problems.push(`field "${key}" must be a ${spec?.type ?? issue.expected}, got ${typeName(got)}`);
    } else if (issue.code === 'too_small') {
      if (spec?.required) missing.push(key);
      problems.push(`field "${key}" is empty`);
    } else {
      // zod's own messages name the rule, never the value
      problems.push(`field "${key}": ${issue.message}`);
    }
  }
  return { missing, problems };
}

/** Register every secret-looking string of a raw record so no log or error line can print it. */
export function registerRecordSecrets(raw: unknown, fields: readonly FieldSpec[]): void {
  if (raw === null || typeof raw !== 'object') return;
  const rec = raw as Record<string, unknown>;
  for (const f of fields) {
    const v = rec[f.key];
    if (f.kind !== 'plain' && typeof v === 'string') registerSecret(v);
  }
}

/** A display copy of a raw record: secrets masked, identifiers shortened, unknown keys left out. */
export function summarizeRecord(raw: unknown, fields: readonly FieldSpec[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === null || typeof raw !== 'object') return out;
  const rec = raw as Record<string, unknown>;
  for (const f of fields) {
    const v = rec[f.key];
    if (v === undefined || v === null) continue;
    out[f.key] = displayValue(v, f.kind);
  }
  return out;
}

/** A display copy of typed credentials (keys are the file's field names). */
export function summarizeTyped(
  creds: Record<string, unknown>,
  fields: readonly FieldSpec[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = creds[f.prop];
    if (v === undefined || v === null) continue;
    out[f.key] = displayValue(v, f.kind);
  }
  return out;
}

function displayValue(v: unknown, kind: FieldKind): string {
  if (kind === 'plain') return typeof v === 'string' ? v : JSON.stringify(v);
  if (typeof v !== 'string') return '(invalid)';
  return kind === 'secret' ? maskSecretValue(v) : maskIdentifier(v);
}
