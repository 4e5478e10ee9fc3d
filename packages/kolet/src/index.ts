// @mantle/kolet public library API (named exports only): the check engine, the native
// function registry and the kola <-> kolet protocol (upload, run, reboot).
export * from './checks/index.js';

export {
  NativeRegistry,
  isNativeTestLike,
  nativeRegistry,
  registerNative,
  type NativeListing,
  type NativeTestLike,
} from './native/registry.js';
export {
  NativeRebootRequest,
  NativeSkip,
  isNativeRebootRequest,
  isNativeSkip,
  skipNative,
  type NativeContext,
  type NativeFunction,
} from './native/context.js';
export {
  loadNativeModule,
  registerModuleExports,
  type NativeModuleApi,
  type NativeModuleRegistrar,
} from './native/load-module.js';
export { runNativeFunction, type NativeRunResult, type RunNativeOptions } from './native/run-native.js';
export { writeRebootRequest } from './native/reboot-request.js';
export {
  AUTOPKGTEST_REBOOT_MARK_ENV,
  KOLET_EXIT,
  REBOOT_MARK_ENV,
  REBOOT_REQUEST_FILE_ENV,
  REBOOT_REQUEST_PREFIX,
  interpretKoletRun,
  rebootMarkProblem,
  type KoletRunOutcome,
} from './native/protocol.js';

export {
  koletArtifacts,
  koletExecutablePath,
  koletVersionLine,
  type KoletArtifacts,
  type KoletLocation,
  type KoletManifest,
} from './remote/executable.js';
export {
  KOLET_REMOTE_MODULE_DIR,
  KOLET_REMOTE_PATH,
  koletCheckCommand,
  koletInstallCommand,
  koletProbeCommand,
  koletRunCommand,
} from './remote/commands.js';

export { createKoletCli } from './cli-spec.js';
export { koletBuildId, koletVersion } from './version.js';
