// gpt: the GUID Partition Table, read and written in userspace.
export * from './types.js';
export * from './read.js';
export * from './write.js';
export * from './table.js';
