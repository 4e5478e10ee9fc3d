// fs: confinement of paths that come from files, archives, the network and image metadata; atomic
// writes (temp file, fsync, rename); the fields of tar headers; and the one mapping of path
// problems on the command line (missing inputs, bad outputs) to exit 2.
export * from './atomic.js';
export * from './errors.js';
export * from './names.js';
export * from './confine.js';
export * from './rooted.js';
export * from './path-problems.js';
export * from './output-path.js';
export * from './input-path.js';
export * from './tar-header.js';
