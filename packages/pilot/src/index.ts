// @mantle/pilot public library API (named exports only): read and validate flakes the way the
// launchers do, and manage the flake store as `pilot` does.
export { loadFlake, flakeFiles, type LoadedFlake, type LoadFlakeOptions } from './flake/load.js';
export { validateFlake } from './flake/validate.js';
export type { BwrapFlake, ContainerFlake, Engine, Flake, VmFlake } from './flake/schema.js';
export { renderFlake, containerFlake, vmFlake, bwrapFlake } from './flake/render.js';
export { parsePilotArgs, isSafeInstanceName, type PilotArgs } from './launch/argv.js';
export { expandPercentVars } from './launch/env-expand.js';
export { distrustReason, stampOf, type FileStamp } from './flake/trust.js';
export { hostView, rootFrom, ROOT_ENV, DEFAULTS, type HostView } from './store/layout.js';
export { loadPilotConfig, type PilotConfig } from './store/pilot-config.js';
export {
  openStore,
  registerFlake,
  removeApp,
  listFlakes,
  showFlake,
  initStore,
  launcherPath,
  type Store,
  type FlakeInfo,
  type ShowResult,
  type RegisterResult,
} from './store/registry.js';
export { registerContainer, registerVm, registerBwrap } from './store/register.js';
export {
  FlakeFileError,
  FlakeNotFoundError,
  UntrustedFileError,
  LaunchInputError,
  LaunchPrerequisiteError,
  LaunchOperationError,
  formatProblem,
  type FlakeProblem,
} from './errors.js';
