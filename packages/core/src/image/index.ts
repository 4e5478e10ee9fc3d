// image: formats and compression by magic bytes, streaming decompression, virtual sizes,
// os-release/version.txt parsing, and inspecting an image file as a whole.
export * from './detect.js';
export * from './decompress.js';
export * from './virtual-size.js';
export * from './qemu-source.js';
export * from './os-release.js';
export * from './inspect.js';
