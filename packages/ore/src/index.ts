// @mantle/ore public library API (named exports only).
export * from './commands/image-info.js';
export * from './commands/image-create-layout.js';
export { imageCommands, imageInfoCommand, imageCreateLayoutCommand } from './commands/image.js';
export * from './commands/profiles-list.js';
// Object storage (file/s3/gs/azure): also `@mantle/ore/storage`, which loads only the stores.
export * from './storage/index.js';
