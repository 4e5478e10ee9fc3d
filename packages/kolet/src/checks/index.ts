// The check engine: goss's spec language (resources, matchers, templates, gossfile includes)
// and its outputs, usable as a library (kola validates specs before booting) and by `kolet
// check`, `kolet render` and `kolet serve` on the machine.
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
export { renderSpec, type RenderSpecOptions } from './render-spec.js';
export {
  loadTemplateVars,
  mergeVars,
  parseTemplateVars,
  templateVarsText,
  type TemplateVarsOptions,
} from './vars.js';
export {
  renderTemplate,
  TEMPLATE_FUNCTIONS,
  type RenderedText,
  type TemplateData,
} from './template/render.js';
export { TemplateError } from './template/template-error.js';
export { runChecks, workerCount, type RunChecksOptions } from './run-checks.js';
export {
  CHECK_FORMATS,
  FORMAT_OPTIONS,
  formatCheckReport,
  formatReport,
  summaryLine,
  type CheckFormat,
  type FormatOption,
  type Output,
} from './format/format-report.js';
export {
  checkReportFromJson,
  checkReportJson,
  resultJson,
  type CheckReportJson,
  type CheckResultJson,
} from './format/machine-outputs.js';
export { humanizeResult } from './format/humanize.js';
export { compileMatcher, matcherProblem, MATCHER_NAMES } from './matchers/compile-matcher.js';
export { MatchError, MatcherSyntaxError, GossMatcher, type MatcherResult } from './matchers/matcher.js';
export { parseDurationMs } from './duration.js';
export { DEFAULT_SYSTEM_PATHS, PACKAGE_MANAGERS, type PackageManager, type SystemPaths } from './context.js';
