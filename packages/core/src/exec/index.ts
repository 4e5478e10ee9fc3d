export * from './debian-packages.js';
export * from './exec-error.js';
export * from './require-tool.js';
export * from './run.js';
