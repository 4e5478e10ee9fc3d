// fs: confinement of paths that come from files, archives, the network and image metadata.
export * from './errors.js';
export * from './names.js';
export * from './confine.js';
export * from './rooted.js';
