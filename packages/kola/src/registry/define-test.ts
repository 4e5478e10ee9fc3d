import { InputError } from '@mantle/core/errors';
import { z } from 'zod';
import type { TestCluster } from '../harness/test-cluster.js';
import { normalizeArch } from './arch.js';
import { parseDuration } from './duration.js';
import { TEST_FLAGS, type TestFlag } from './flags.js';

/** What a skip function and the filters know about the run before any machine boots. */
export interface RunTarget {
  platform: string;
  distro: string;
  /** Go spelling: amd64, arm64 */
  arch: string;
  /** the image's os-release VERSION_ID once known */
  version?: string | undefined;
}

/** A function kolet runs on the machine (see runNative). */
export type NativeFunc = (...args: unknown[]) => unknown;

/**
 * A declarative check spec (goss-style, see @mantle/kolet) that kola runs with `kolet check` on
 * every machine after the test body:
 * - a string with a line break: the YAML text itself
 * - a one-line string: the path of a YAML file, relative to the module that defined the test
 *   (built-in tests: the working directory)
 * - an object: the spec as data (serialised to YAML)
 */
export type CheckSpecSource = string | Record<string, unknown>;

/** A kola test as its author writes it: the fields mantle users know. */
export interface TestDefinition {
  /** unique name, dotted namespaces by convention (`basic.ssh`) */
  name: string;
  /**
   * the test body; throw, `c.fatalf` or `c.errorf` to fail it, `c.skip` to skip it. Optional when
   * `checks` is given: the checks are then the whole test.
   */
  run?: (c: TestCluster) => void | Promise<void>;
  /** functions kolet runs on the machine, invoked with `c.runNative(name, machine)` */
  nativeFuncs?: Record<string, NativeFunc>;
  /** a check spec kolet runs on every machine after the body (see CheckSpecSource) */
  checks?: CheckSpecSource;
  /** Butane YAML or Ignition JSON text given to every machine the harness boots */
  userData?: string;
  /** machines booted before `run` (default 1; 0 = the test creates machines itself) */
  clusterSize?: number;
  platforms?: string[];
  excludePlatforms?: string[];
  distros?: string[];
  excludeDistros?: string[];
  /** amd64/arm64 (x86_64/aarch64 accepted) */
  architectures?: string[];
  excludeArchitectures?: string[];
  flags?: TestFlag[];
  /** stop the test at its first failing subtest */
  failFast?: boolean;
  /** inclusive lower bound on the image's VERSION_ID */
  minVersion?: string;
  /** exclusive upper bound on the image's VERSION_ID */
  endVersion?: string;
  /** return a reason to skip the test on this run, or false/undefined to run it */
  skip?: (target: RunTarget) => string | false | null | undefined;
  /** milliseconds or a duration such as '10m' (default 10 minutes), covering boot and body */
  timeout?: number | string;
  tags?: string[];
  description?: string;
  /** the user `c.ssh` logs in as (default `core`) */
  defaultUser?: string;
  /**
   * false: the test only reads the machine (coreos-assembler's non-exclusive tests), so kola may
   * run it on a machine it shares with other such tests of the same user data, one after
   * another, each reported on its own (default true: a machine of its own)
   */
  exclusive?: boolean;
  /**
   * false: always boot this test's machines, never restore them from a snapshot (default true:
   * kola may start them from a snapshot of an identical machine; see `kola run --snapshot`)
   */
  snapshot?: boolean;
}

/** A validated, normalised test with defaults applied, as the registry holds it. */
export interface KolaTest {
  readonly name: string;
  readonly run: (c: TestCluster) => void | Promise<void>;
  /** false when the definition had no `run` (a checks-only test) */
  readonly hasBody: boolean;
  readonly nativeFuncs: Readonly<Record<string, NativeFunc>>;
  readonly checks: CheckSpecSource | undefined;
  readonly userData: string | undefined;
  readonly clusterSize: number;
  readonly platforms: readonly string[];
  readonly excludePlatforms: readonly string[];
  readonly distros: readonly string[];
  readonly excludeDistros: readonly string[];
  readonly architectures: readonly string[];
  readonly excludeArchitectures: readonly string[];
  readonly flags: readonly TestFlag[];
  readonly failFast: boolean;
  readonly minVersion: string | undefined;
  readonly endVersion: string | undefined;
  readonly skip: ((target: RunTarget) => string | false | null | undefined) | undefined;
  readonly timeoutMs: number;
  readonly tags: readonly string[];
  readonly description: string;
  readonly defaultUser: string;
  readonly exclusive: boolean;
  readonly snapshot: boolean;
  /** where the test was defined: 'built-in' or a module path; set by the registry */
  readonly source: string;
}

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
    architectures: Object.freeze((d.architectures ?? []).map(normalizeArch)),
    excludeArchitectures: Object.freeze((d.excludeArchitectures ?? []).map(normalizeArch)),
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
