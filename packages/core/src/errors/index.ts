export * from './exit-codes.js';
export * from './mantle-error.js';
export * from './message.js';
