// goss decodes a resource's YAML into Go structs with gopkg.in/yaml.v3, and yaml.v3 is lenient
// where the field's Go type decides: any scalar fills a `string` field with its text as written
// (`exec: true` runs `true`, `exec: 0644` runs `0644`), `null` leaves a field at its zero value
// (not given), and a `bool` field also takes YAML 1.1's yes/no/on/off. Checked attributes are
// goss's `any` (matchers) and keep their YAML 1.2 values. This pass gives the typed fields of
// the parsed attributes the values goss's decoder gives them, before the schema checks them.
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import type { z } from 'zod';

type FieldType = 'string' | 'bool' | 'string-list' | 'any' | 'other';

const YAML11_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']);
const YAML11_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

interface ZodDef {
  type: string;
  innerType?: { def: ZodDef };
  element?: { def: ZodDef };
}

/** The Go type of a schema field, as far as yaml.v3's decoding depends on it. */
function fieldType(schema: z.ZodType): FieldType {
  let def = (schema as unknown as { def: ZodDef }).def;
  while (def.type === 'optional' && def.innerType) def = def.innerType.def;
  if (def.type === 'string') return 'string';
  if (def.type === 'boolean') return 'bool';
  if (def.type === 'array' && def.element?.def.type === 'string') return 'string-list';
  // goss's `matcher` and `meta` fields are `any`: a null there is a value (goss's "not set").
  if (def.type === 'unknown') return 'any';
  return 'other';
}

/** The text yaml.v3 puts in a Go string: a plain scalar as written, any other as its value. */
function scalarText(node: Node): unknown {
  if (!isScalar(node)) return undefined;
  if (node.value === null) return null;
  if (typeof node.value === 'string') return node.value;
  if (node.type === 'PLAIN' && typeof node.source === 'string') return node.source;
  const v: unknown = node.value;
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : v;
}

function keyOf(key: unknown): string | undefined {
  const v: unknown = isScalar(key) ? key.value : key;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/**
 * Rewrite `input` (the JS value of `map`) in place so its typed fields hold what goss's decoder
 * gives them; fields left out of `shape`, and values of other types, are left for the schema.
 */
function applyGoFieldTypes(
  map: YAMLMap,
  input: Record<string, unknown>,
  shape: Readonly<Record<string, z.ZodType>>,
): void {
  for (const pair of map.items) {
    const key = keyOf(pair.key);
    if (key === undefined || !Object.hasOwn(shape, key) || !Object.hasOwn(input, key)) continue;
    const node = pair.value as Node | null;
    const schema = shape[key];
    if (schema === undefined) continue;
    const type = fieldType(schema);
    if (node === null || (isScalar(node) && node.value === null)) {
      // yaml.v3 leaves a typed field at its zero value: for goss, the same as not given.
      if (type !== 'any') delete input[key];
      continue;
    }
    if (type === 'string' && isScalar(node)) input[key] = scalarText(node);
    else if (type === 'bool' && isScalar(node) && typeof node.value === 'string' && node.type === 'PLAIN') {
      if (YAML11_TRUE.has(node.value)) input[key] = true;
      else if (YAML11_FALSE.has(node.value)) input[key] = false;
    } else if (type === 'string-list' && isSeq(node) && Array.isArray(input[key])) {
      input[key] = node.items.map((item, i) =>
        isScalar(item) && item.value !== null ? scalarText(item) : (input[key] as unknown[])[i],
      );
    }
  }
}

/** `applyGoFieldTypes` for a node that may not be a mapping (then nothing changes). */
export function goTypedInput(
  node: Node | null,
  input: unknown,
  shape: Readonly<Record<string, z.ZodType>>,
): unknown {
  if (isMap(node) && input !== null && typeof input === 'object' && !Array.isArray(input))
    applyGoFieldTypes(node, input as Record<string, unknown>, shape);
  return input;
}
