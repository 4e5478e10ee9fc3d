// @mantle/core: the library every mantle tool shares. Named exports only, grouped by concern.
export * from './errors/index.js';
export * from './log/index.js';
export * from './cli/index.js';
export * from './exec/index.js';
export * from './version.js';
export * from './disk/index.js';
export * from './image/index.js';
export * from './ssh/index.js';
export * from './profiles/index.js';
export * from './storage/index.js';
export * from './verify/index.js';
export * from './ignition/index.js';
export * from './fs/index.js';
