// profiles: credentials read where Go mantle and the cloud CLIs read them, validated, redacted.
export * from './types.js';
export { ProfileErrorCode } from './errors.js';
export { resolveProfileEnv, displayPath, type ProfileEnvOptions, type ProfileEnv } from './paths.js';
export {
  loadProfile,
  listProfiles,
  describeProfile,
  type ListProfilesOptions,
  type ProfileDescription,
} from './load-profile.js';
export { addProfileOptions, profileSelectionFromArgs } from './yargs-options.js';
export { maskIdentifier } from './mask.js';
export { findJsonSyntaxProblem, type JsonSyntaxProblem } from './json-syntax.js';
