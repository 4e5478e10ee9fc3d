// @mantle/plume public library API (named exports only).
export * from './spec/schema.js';
export { BUILTIN_SPEC } from './spec/builtin.js';
export { builtinSpec, loadSpec, parseSpecText, type LoadedSpec } from './spec/load.js';
export * from './spec/resolve.js';
export { fetchVerified, type FetchOptions, type FetchResult } from './fetch/fetch-verified.js';
export { StorePool, splitObjectUrl, isHttpUrl, type ObjectRef } from './fetch/object-url.js';
export * from './index-pages/build-indexes.js';
export { renderIndexPage, humanSize, escapeHtml } from './index-pages/render.js';
export { buildTree, isIndexPage, INDEX_NAME, type DirEntry } from './index-pages/tree.js';
export { publishImage, type PublishImageOptions, type PublishImageResult } from './images/publish-image.js';
export { listImages, type StoredImage } from './images/list-images.js';
export * from './images/layout.js';
export { Lz4FrameEncoder, LZ4_BLOCK_SIZE } from './images/lz4-frame.js';
export { TarScanner } from './images/tar-scan.js';
export { parseDpkgStatus, formatDpkgList, type DpkgPackage } from './images/dpkg-list.js';
