// Check a merged flake (or flakes.yml) against the schema and turn every problem into
// `file:line: key: message`, using the origins the YAML parser recorded.
import { z } from 'zod';
import type { FlakeProblem } from '../errors.js';
import { ENGINE_KEYS, sandboxToBwrap, type Flake, type SandboxFlake } from './schema.js';
import { dottedPath, pathKey, type KeyPath, type Origins } from './yaml-origins.js';
import type { Layer } from './merge.js';
import { editDistance } from '@mantle/core/text';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The origin of a key, or of its nearest parent that has one (a missing key's parent). */
export function originOf(
  origins: Origins,
  path: KeyPath,
  fallbackFile: string,
): { file: string; line: number } {
  for (let i = path.length; i >= 0; i--) {
    const o = origins.get(pathKey(path.slice(0, i)));
    if (o) return o;
  }
  return { file: fallbackFile, line: 1 };
}

function valueAt(root: unknown, path: KeyPath): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function describe(v: unknown): string {
  if (v === null) return '~ (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v === 'number' || typeof v === 'boolean' ? `${typeof v} ${v}` : typeof v;
}

const EXPECTED: Record<string, string> = {
  boolean: 'true or false',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  array: 'a list',
  object: 'a mapping',
};

function issueMessage(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'is required but missing';
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(value)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`;
    case 'invalid_union':
      return `expected a size (bytes, or a number with KiB/MiB/GiB/TiB or KB/MB/GB/TB), got ${describe(value)}`;
    case 'too_small':
      return issue.message.startsWith('Too small')
        ? `must be at least ${String(issue.minimum)}`
        : issue.message;
    default:
      return issue.message;
  }
}

/** Map schema issues to problems with file and line. */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  layer: Layer,
  file: string,
  prefix: KeyPath = [],
): FlakeProblem[] {
  return issues.map((issue) => {
    const path = [...prefix, ...(issue.path as (string | number)[])];
    const { file: f, line } = originOf(layer.origins, path, file);
    return { file: f, line, key: dottedPath(path), message: issueMessage(issue, valueAt(layer.value, path)) };
  });
}

type AnySchema = z.core.$ZodType;

function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  while (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable || cur instanceof z.ZodDefault)
    cur = cur.def.innerType;
  return cur;
}

/** Keys in `value` that `schema` does not know, with a did-you-mean where one is close. */
export function unknownKeys(
  schema: AnySchema,
  value: unknown,
  layer: Layer,
  file: string,
  path: (string | number)[] = [],
): FlakeProblem[] {
  const s = unwrap(schema);
  const out: FlakeProblem[] = [];
  if (s instanceof z.ZodObject && isPlainObject(value)) {
    const shape = s.shape as Record<string, AnySchema>;
    for (const [k, v] of Object.entries(value)) {
      const child = [...path, k];
      const sub = shape[k];
      if (sub) {
        out.push(...unknownKeys(sub, v, layer, file, child));
        continue;
      }
      const near = Object.keys(shape).find((known) => editDistance(known, k) <= 2);
      const { file: f, line } = originOf(layer.origins, child, file);
      out.push({
        file: f,
        line,
        key: dottedPath(child),
        message: `unknown key, ignored as flake-pilot ignores it${near ? ` (did you mean ${near}?)` : ''}`,
      });
    }
  } else if (s instanceof z.ZodArray && Array.isArray(value)) {
    value.forEach((v, i) => out.push(...unknownKeys(s.element, v, layer, file, [...path, i])));
  }
  return out;
}

/** Validate a merged flake: exactly one engine section, the schema, unknown keys. */
export function validateFlake(
  layer: Layer,
  file: string,
  strict: boolean,
): { ok: true; flake: Flake; warnings: FlakeProblem[] } | { ok: false; problems: FlakeProblem[] } {
  const root = layer.value;
  if (!isPlainObject(root))
    return {
      ok: false,
      problems: [
        {
          file,
          line: 1,
          key: '(top level)',
          message: `expected a mapping with a container:, vm:, bwrap: or sandbox: section, got ${describe(root)}`,
        },
      ],
    };
  const present = (Object.keys(ENGINE_KEYS) as (keyof typeof ENGINE_KEYS)[]).filter((k) => root[k] != null);
  if (present.length !== 1) {
    const where = present.length > 1 ? originOf(layer.origins, [present[1]!], file) : { file, line: 1 };
    return {
      ok: false,
      problems: [
        {
          ...where,
          key: present.length > 1 ? present.join(' and ') : '(top level)',
          message:
            present.length > 1
              ? 'a flake has exactly one engine section: container:, vm:, bwrap: or sandbox:, not several'
              : 'no engine section: a flake needs container: (podman), vm: (micro-VM), bwrap: or sandbox: (bubblewrap)',
        },
      ],
    };
  }
  const key = present[0]!;
  const { engine, schema } = ENGINE_KEYS[key];
  const parsed = schema.safeParse(root);
  const problems = parsed.success ? [] : issuesToProblems(parsed.error.issues, layer, file);
  const unknown = unknownKeys(schema, root, layer, file);
  if (strict)
    problems.push(
      ...unknown.map((p) => ({
        ...p,
        message: p.message.replace(', ignored as flake-pilot ignores it', ''),
      })),
    );
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const extra = semanticProblems(key, parsed.data, layer, file);
  if (extra.length > 0) return { ok: false, problems: extra };
  const data = key === 'sandbox' ? sandboxToBwrap(parsed.data as SandboxFlake) : parsed.data;
  return { ok: true, flake: { engine, data } as Flake, warnings: strict ? [] : unknown };
}

// Rules the schema alone does not express.
function semanticProblems(key: string, data: unknown, layer: Layer, file: string): FlakeProblem[] {
  const out: FlakeProblem[] = [];
  const at = (path: KeyPath, message: string): void => {
    out.push({ ...originOf(layer.origins, path, file), key: dottedPath(path), message });
  };
  if (key === 'container') {
    const c = (
      data as {
        container: {
          runtime?: { resume?: boolean | null; attach?: boolean | null } | null;
          layers?: string[] | null;
          base_container?: string | null;
          target_app_path?: string | null;
        };
      }
    ).container;
    if (c.runtime?.resume && c.runtime.attach)
      at(['container', 'runtime', 'attach'], 'resume and attach exclude each other; set one of them');
    if (c.layers?.length && !c.base_container)
      at(['container', 'layers'], 'layers need a base_container to be stacked on');
    if (c.runtime?.resume && c.target_app_path === '/')
      at(
        ['container', 'target_app_path'],
        "a resume flake needs the app's path: '/' (the image's entry point) cannot be exec'd into a running container",
      );
  }
  if (key === 'bwrap') {
    const b = (data as { bwrap: { rootfs: string } }).bwrap;
    if (!b.rootfs.startsWith('/')) at(['bwrap', 'rootfs'], 'must be an absolute path');
  }
  if (key === 'sandbox') {
    const s = (data as SandboxFlake).sandbox;
    if (!s.name.startsWith('/'))
      at(['sandbox', 'name'], 'must be the absolute path of the root filesystem tree');
  }
  return out;
}
