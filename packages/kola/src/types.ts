// The types test authors write against (defineTest's TestDefinition, the TestCluster a test body
// gets, RunTarget, ...) and the KolaTest the registry holds. Types only, in one module that imports
// no kola module but types, so registry, harness and kolet code can all use them without cycles.
import type { MachineCheckResult } from './kolet/agent.js';
import type { ExecResult, Machine, MachineExecOptions } from './platform/types.js';
import type { TestFlag } from './registry/flags.js';

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

export interface SubtestOptions {
  /** start the subtest and return at once; the parent finishes after it (Go's t.Parallel) */
  parallel?: boolean;
}

/** What a test body gets: the cluster's machines plus Go-testing style reporting. */
export interface TestCluster {
  /** the test's full name (`parent/child` in subtests) */
  readonly name: string;
  /** the machines booted for the test (clusterSize of them) and any made with newMachine */
  readonly machines: readonly Machine[];
  /** the test's output directory (per-machine dirs live inside) */
  readonly outputDir: string;
  /** aborted when the test times out or the run is interrupted */
  readonly signal: AbortSignal;
  /** platform, distro, arch and image version of this run */
  readonly target: RunTarget;
  /** run a shell command line; resolves with stdout/stderr/exit code whatever the exit code */
  ssh(machine: Machine, command: string, opts?: MachineExecOptions): Promise<ExecResult>;
  /** run a command that must succeed: returns trimmed stdout, fails the test (fatal) otherwise */
  mustSsh(machine: Machine, command: string, opts?: MachineExecOptions): Promise<string>;
  /**
   * run one of the test's nativeFuncs on the machine through kolet (uploaded once per machine);
   * resolves with what the function printed; its skip skips the test, its failure is fatal
   */
  runNative(funcName: string, machine: Machine): Promise<string>;
  /**
   * run a check spec (YAML text, a path relative to the test module, or an object) with kolet on
   * the machine and log every check; resolves with the report and does NOT fail the test itself
   * (a test that expects failures can assert on `passed`)
   */
  runChecks(machine: Machine, spec: CheckSpecSource): Promise<MachineCheckResult>;
  /** copy a local file into the home directory of every machine */
  dropFile(localPath: string): Promise<void>;
  /** fatal unless the command succeeds and its stdout contains `text` */
  assertCmdOutputContains(machine: Machine, command: string, text: string): Promise<void>;
  /** boot another machine in this test's cluster */
  newMachine(userData?: string): Promise<Machine>;
  /** run a subtest reported as `name/sub`; resolves true when it passed */
  run(name: string, fn: (c: TestCluster) => void | Promise<void>, opts?: SubtestOptions): Promise<boolean>;
  /** add a line to the test's output */
  log(...args: unknown[]): void;
  logf(fmt: string, ...args: unknown[]): void;
  /** mark the test failed and continue */
  error(...args: unknown[]): void;
  errorf(fmt: string, ...args: unknown[]): void;
  /** mark the test failed and stop it */
  fatal(...args: unknown[]): never;
  fatalf(fmt: string, ...args: unknown[]): never;
  /** stop the test and report it skipped */
  skip(reason: string): never;
  /** whether the test has failed so far */
  failed(): boolean;
}
