export * from './cleanup.js';
export * from './closed-output.js';
export * from './command.js';
export * from './context.js';
export * from './run-main.js';
export * from './version.js';
