// @mantle/core: the library every mantle tool shares. Named exports only, grouped by concern;
// each concern is also its own subpath (`@mantle/core/disk`, `@mantle/core/ssh`, ...), which is
// what the tools import, so a tool loads only the concerns it uses.
export * from './errors/index.js';
export * from './log/index.js';
export * from './cli/index.js';
export * from './exec/index.js';
export * from './fs/index.js';
export * from './disk/index.js';
export * from './image/index.js';
export * from './ssh/index.js';
export * from './profiles/index.js';
export * from './verify/index.js';
export * from './ignition/index.js';
export * from './time/index.js';
export * from './text/index.js';
