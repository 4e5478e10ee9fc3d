// @mantle/ore public library API (named exports only).
export * from './commands/image-info.js';
export * from './commands/image-create-layout.js';
export { imageCommands, imageInfoCommand, imageCreateLayoutCommand } from './commands/image.js';
export * from './commands/profiles-list.js';
