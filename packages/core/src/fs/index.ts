// fs: confinement of paths that come from files, archives, the network and image metadata, and
// atomic writes (temp file, fsync, rename).
export * from './atomic.js';
export * from './errors.js';
export * from './names.js';
export * from './confine.js';
export * from './rooted.js';
