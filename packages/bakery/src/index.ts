// @mantle/bakery public library API (named exports only): build, read, validate, publish and
// bake systemd-sysext images. The `bakery` bin (cli.ts) is a thin layer over these.
export { createSysext, type CreateSysextOptions, type CreateSysextResult } from './build/create-sysext.js';
export { SYSEXT_FORMATS, type SysextFormat, type GeneratedFile } from './build/formats.js';
export { upsertSums } from './build/sums-file.js';
export {
  SYSEXT_ARCHES,
  SYSTEMD_ARCHES,
  checkName,
  checkVersion,
  normalizeSystemdArch,
  hostSystemdArch,
  imageFileName,
  imageNameOf,
  parseReleaseStem,
  type SysextArch,
} from './sysext/names.js';
export {
  buildExtensionRelease,
  formatExtensionRelease,
  parseExtensionRelease,
  extensionReleasePath,
  EXTENSION_RELEASE_DIR,
  type ExtensionRelease,
} from './sysext/extension-release.js';
export {
  parseUpholds,
  upholdDropIn,
  upholdDropInPath,
  defaultTargetFor,
  type Uphold,
} from './sysext/upholds.js';
export { checkTree, type TreeSummary, type TreeProblem } from './sysext/tree-check.js';
export {
  mergeVerdict,
  type HostRelease,
  type MergeFinding,
  type MergeVerdict,
  type MergeInput,
} from './sysext/merge-rules.js';
export { openSysext, detectSysextFormat, type ImageEntry, type SysextReader } from './read/sysext-reader.js';
export {
  inspectSysext,
  type SysextInspection,
  type MetadataFile,
  type UnitStart,
} from './read/inspect-sysext.js';
export {
  validateSysext,
  hostFromOptions,
  type ValidateOptions,
  type ValidateResult,
} from './read/validate-sysext.js';
export { builtinRecipes, loadRecipe, validateRecipe } from './recipes/registry.js';
export { recipeSchema, type Recipe, type RecipeInput } from './recipes/schema.js';
export {
  createFromRecipe,
  type CreateFromRecipeOptions,
  type CreateFromRecipeResult,
} from './recipes/create-from-recipe.js';
export { transferFile, noopTransferFile, parseTransfer, type TransferOptions } from './sysupdate/transfer.js';
export {
  writeTransferFiles,
  type WriteTransferOptions,
  type WriteTransferResult,
} from './sysupdate/write-transfer.js';
export { publish, type PublishOptions, type PublishResult } from './publish/publish.js';
export { gpgDetachSign } from './publish/sign.js';
export { bakeImage, type BakeOptions, type BakeResult } from './bake/bake-image.js';
export { applyExt4 } from './bake/ext4-writer.js';
export { flix, type FlixOptions, type FlixResult } from './flix/flix.js';
export {
  flatwrap,
  type FlatwrapOptions,
  type FlatwrapEntry,
  type FlatwrapResult,
} from './flatwrap/flatwrap.js';
export { ociRootfs, type OciRootfsOptions, type OciRootfsResult } from './oci/oci-rootfs.js';
