// ignition: Butane → Ignition translation, Ignition validation, merging and rendering.
export type * from './types.js';
export {
  IGNITION_VERSIONS,
  DEFAULT_IGNITION_VERSION,
  BUTANE_SPECS,
  isIgnitionVersion,
  compareIgnitionVersions,
  findButaneSpec,
  type IgnitionVersion,
  type ButaneSpec,
} from './versions.js';
export { butaneToIgnition, type ButaneOptions, type ButaneResult } from './butane.js';
export {
  parseIgnition,
  validateIgnition,
  findIgnitionProblems,
  type IgnitionCheckOptions,
  type IgnitionResult,
} from './parse.js';
export { mergeIgnition, newIgnition } from './merge.js';
export { renderIgnition, canonicalize as canonicalizeIgnition, type RenderOptions } from './canonical.js';
export { ignitionFromUserData, type UserDataOptions, type UserDataResult } from './user-data.js';
export {
  dataUrl,
  decodeDataUrl,
  parseDataUrl,
  encodeContents,
  percentEscape,
  decodeResourceData,
  type EncodedContents,
  type ParsedDataUrl,
} from './data-url.js';
export { formatProblem, type IgnitionProblem } from './problems.js';
