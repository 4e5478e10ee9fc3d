import { InputError } from '@mantle/core/errors';
import { z } from 'zod';
import { normalizeGoArch } from './arch.js';
import { parseDuration } from './duration.js';
import { TEST_FLAGS } from './flags.js';
import type { KolaTest, TestDefinition } from '../types.js';

/** Default per-test timeout: 10 minutes, as coreos-assembler's kola. */
export const DEFAULT_TEST_TIMEOUT_MS = 10 * 60_000;

/** Marks objects made by defineTest; Symbol.for so copies of @mantle/kola recognise each other. */
export const KOLA_TEST = Symbol.for('mantle.kola.test');

const fn = z.custom<(...a: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');
const names = z.array(z.string().min(1)).optional();

const schema = z.object({
  // A test name becomes a directory under --output-dir (and on the machine for external tests):
  // `.` and `..` would leave it, control characters would corrupt the line-oriented reports.
  name: z
    .string()
    .min(1)
    .regex(
      /^[^\s\p{Cc}*?[\]{}!/]+$/u,
      "no whitespace, control characters, '/' (it separates subtests) or glob characters (* ? [ ] { } !)",
    )
    .refine((n) => n !== '.' && n !== '..', "not '.' or '..' (the name is a directory under --output-dir)"),
  run: fn.optional(),
  nativeFuncs: z.record(z.string(), fn).optional(),
  checks: z
    .union([
      z.string().trim().min(1, 'a check spec path or YAML text'),
      z.record(z.string(), z.unknown()).refine((o) => Object.keys(o).length > 0, 'an empty check spec'),
    ])
    .optional(),
  userData: z.string().optional(),
  clusterSize: z.number().int().min(0).max(64).optional(),
  platforms: names,
  excludePlatforms: names,
  distros: names,
  excludeDistros: names,
  architectures: names,
  excludeArchitectures: names,
  flags: z.array(z.enum(TEST_FLAGS)).optional(),
  failFast: z.boolean().optional(),
  minVersion: z.string().min(1).optional(),
  endVersion: z.string().min(1).optional(),
  skip: fn.optional(),
  timeout: z.union([z.number(), z.string()]).optional(),
  tags: names,
  description: z.string().optional(),
  defaultUser: z.string().min(1).optional(),
  exclusive: z.boolean().optional(),
  snapshot: z.boolean().optional(),
});

/**
 * Validate a test definition and apply defaults. The result is frozen and branded so a
 * `--tests-dir` module can simply export it. Throws InputError naming the test and the field.
 */
export function defineTest(def: TestDefinition): KolaTest {
  return normalizeTest(def, 'built-in');
}

/** defineTest with an explicit source (a module path), used by the registry and loaders. */
export function normalizeTest(def: TestDefinition, source: string): KolaTest {
  const parsed = schema
    .refine((d) => d.run !== undefined || d.checks !== undefined, {
      path: ['run'],
      message: 'expected a function (a test needs a run body, checks, or both)',
    })
    .safeParse(def);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(definition)';
    const name = typeof (def as { name?: unknown } | undefined)?.name === 'string' ? def.name : '(unnamed)';
    throw new InputError({
      code: 'BAD_TEST_DEFINITION',
      message: `test ${name} (${source}): field '${field}': ${issue?.message ?? 'invalid'}`,
      hint: 'fix the test definition; see defineTest() in @mantle/kola for the fields',
      details: { test: name, source, field },
    });
  }
  const d = parsed.data;
  const test: KolaTest & { [KOLA_TEST]: true } = {
    [KOLA_TEST]: true,
    name: d.name,
    run: def.run ?? noBody,
    hasBody: def.run !== undefined,
    nativeFuncs: Object.freeze({ ...(def.nativeFuncs ?? {}) }),
    checks: def.checks,
    userData: d.userData,
    clusterSize: d.clusterSize ?? 1,
    platforms: Object.freeze([...(d.platforms ?? [])]),
    excludePlatforms: Object.freeze([...(d.excludePlatforms ?? [])]),
    distros: Object.freeze([...(d.distros ?? [])]),
    excludeDistros: Object.freeze([...(d.excludeDistros ?? [])]),
    architectures: Object.freeze((d.architectures ?? []).map(normalizeGoArch)),
    excludeArchitectures: Object.freeze((d.excludeArchitectures ?? []).map(normalizeGoArch)),
    flags: Object.freeze([...new Set(d.flags ?? [])]),
    failFast: d.failFast ?? false,
    minVersion: d.minVersion,
    endVersion: d.endVersion,
    skip: def.skip,
    timeoutMs:
      d.timeout === undefined ? DEFAULT_TEST_TIMEOUT_MS : parseDuration(d.timeout, `test ${d.name}: timeout`),
    tags: Object.freeze([...new Set(d.tags ?? [])]),
    description: d.description ?? '',
    defaultUser: d.defaultUser ?? 'core',
    exclusive: d.exclusive ?? true,
    snapshot: d.snapshot ?? true,
    source,
  };
  return Object.freeze(test);
}

// The body of a checks-only test: the harness runs the checks after it.
function noBody(): void {}

/** True for objects made by defineTest (in this or another copy of @mantle/kola). */
export function isKolaTest(value: unknown): value is KolaTest {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[KOLA_TEST] === true
  );
}
