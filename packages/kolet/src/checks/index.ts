// The check engine: goss-style declarative checks, usable as a library (kola validates specs
// before booting) and by `kolet check` on the machine.
export { CHECK_KINDS, FILE_TYPES, KIND_TITLES } from './types.js';
export type * from './types.js';
export {
  SPEC_TOP_LEVEL_KEYS,
  analyzeCheckSpec,
  parseCheckSpec,
  type ParseSpecOptions,
  type SpecProblem,
} from './parse-spec.js';
export { loadCheckSpec, type LoadSpecOptions } from './load-spec.js';
export { loadTemplateVars, parseTemplateVars, type TemplateVarsOptions } from './vars.js';
export { renderTemplate, type RenderedText, type TemplateData } from './template/template-render.js';
export { TEMPLATE_FUNCTIONS, TemplateError } from './template/template-parse.js';
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
