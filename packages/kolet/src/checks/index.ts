// The check engine: goss-style declarative checks, usable as a library (kola validates specs
// before booting) and by `kolet check` on the machine.
export { CHECK_KINDS, FILE_TYPES, KIND_TITLES } from './types.js';
export type * from './types.js';
export {
  analyzeCheckSpec,
  loadCheckSpec,
  parseCheckSpec,
  type ParseSpecOptions,
  type SpecProblem,
} from './parse-spec.js';
export { runChecks, type RunChecksOptions } from './run-checks.js';
export {
  CHECK_FORMATS,
  checkReportJson,
  formatCheckReport,
  formatDocumentation,
  formatTap,
  resultLine,
  summaryLine,
  type CheckFormat,
  type CheckReportJson,
} from './format/format-report.js';
export { parsePattern, patternHolds, type Pattern } from './matchers.js';
export { parseDurationMs } from './duration.js';
export { DEFAULT_SYSTEM_PATHS, type SystemPaths } from './context.js';
