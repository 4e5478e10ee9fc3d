// @mantle/kola public library API (named exports only). External test modules import
// `defineTest` from here; tools embed the harness and commands.
export { defineTest, isKolaTest, DEFAULT_TEST_TIMEOUT_MS, KOLA_TEST } from './registry/define-test.js';
export type {
  CheckSpecSource,
  KolaTest,
  NativeFunc,
  RunTarget,
  SubtestOptions,
  TestCluster,
  TestDefinition,
} from './types.js';
export { TEST_FLAGS, type TestFlag } from './registry/flags.js';
export { Registry, BUILT_IN } from './registry/registry.js';
export { loadTestModule, loadTestsDir } from './registry/load-tests-dir.js';
export type { KolaModuleApi, LoadedTestModule, TestRegistrar } from './registry/load-tests-dir.js';
export {
  describeEmptySelection,
  globMatcher,
  parseShard,
  selectTests,
  type ExclusionReason,
  type Selection,
  type SelectionCriteria,
  type Shard,
} from './registry/filter.js';
export { compareVersions, versionOutsideRange } from './registry/version-compare.js';
export { hostGoArch, normalizeGoArch } from './registry/arch.js';
export { formatSeconds, parseDuration } from './registry/duration.js';

export { CONSOLE_PATTERNS, type ConsolePattern } from './console/patterns.js';
export {
  checkConsole,
  cleanConsoleLine,
  consoleTail,
  formatConsoleMatch,
  type CheckConsoleOptions,
  type ConsoleMatch,
} from './console/check-console.js';

export { Harness, testDirName, type HarnessOptions, type HarnessResult } from './harness/harness.js';
export type { ResultStatus, TestResult } from './harness/test-node.js';
export { autoParallel, parseParallel, type AutoParallelInput } from './harness/parallel.js';
export type { ImageInfo } from './harness/os-release.js';
export { collectJournal, type JournalFiles } from './harness/journal.js';

export {
  KoletAgent,
  MAX_NATIVE_REBOOTS,
  type MachineCheckResult,
  type NativeOutcome,
  type RunNativeRequest,
} from './kolet/agent.js';
export {
  checkReportFromJson,
  checksBaseDir,
  failedChecks,
  formatCheckLines,
  resolveCheckSpec,
  type ResolvedCheckSpec,
} from './kolet/check-spec.js';

export { discoverExtTests, extTestToKolaTest, loadExtTests, type ExtTestSpec } from './exttest/discover.js';
export {
  METADATA_FILES,
  parseInlineMetadata,
  readDirMetadata,
  splitWords,
  validateMetadata,
  type DirMetadata,
  type TestMetadata,
} from './exttest/metadata.js';
export { EXTTEST_REMOTE_DIR, EXTTEST_SKIP_EXIT, extTestBody } from './exttest/run-exttest.js';

export { formatTap } from './output/tap.js';
export { formatJUnit, xmlAttr, xmlSafe, cdata, type JUnitMeta } from './output/junit.js';
export { buildReport, type MantleReport, type ReportTest } from './output/report-json.js';
export { formatFinalLine, formatResultLines, formatRunLine } from './output/console-reporter.js';
export {
  HARNESS_MARKER,
  KOLA_TEMP,
  isKolaOwned,
  prepareOutputDir,
  runStamp,
  type PrepareOutputDirOptions,
  type PreparedOutputDir,
} from './output/output-dir.js';

export type * from './platform/types.js';
export {
  platforms,
  resolvePlatform,
  type PlatformContext,
  type PlatformFactory,
} from './platform/registry.js';

export {
  RunOptionsSchema,
  parseRunOptions,
  qemuFlightOptions,
  type RunOptions,
  type RunOptionsInput,
} from './run/options.js';
export {
  needsKolet,
  resolveCheckSpecs,
  runCommand,
  type RunCommandResult,
  type RunDeps,
} from './run/run-command.js';
export {
  DEFAULT_DISTRO,
  DISTRO_OF_OS_ID,
  OWN_IMAGES,
  cachedImageNames,
  chooseImage,
  readImageManifest,
  type ImageChoice,
  type ImageManifest,
} from './run/image-select.js';
export {
  checkCommand,
  type CheckCommandOptions,
  type CheckCommandResult,
  type CheckCommandResults,
} from './run/check-command.js';
export { bootchartCommand, type BootchartResult } from './run/bootchart-command.js';
export { bootOneMachine, type BootedMachine } from './run/boot-one.js';
export { listCommand, type ListEntry, type ListOptions } from './run/list-command.js';
export { printList } from './run/list-print.js';
export {
  checkConsoleCommand,
  printCheckConsole,
  type CheckConsoleCommandOptions,
  type CheckConsoleResult,
} from './run/check-console-command.js';
export {
  spawnCommand,
  stopSpawn,
  sshCommandLine,
  SpawnOptionsSchema,
  type SpawnOptions,
  type SpawnState,
  type SpawnedMachine,
} from './run/spawn-command.js';
export { loadRegistry, type LoadRegistryOptions } from './run/load-registry.js';
export { builtinTests, registerBuiltinTests } from './tests/index.js';
export { systemdTests } from './tests/systemd.js';
export { kolaVersion } from './version.js';
