// verify: checksums, SUMS files, detached OpenPGP signatures, and verified downloads.
export * from './errors.js';
export * from './hash.js';
export * from './sums.js';
export * from './openpgp.js';
export * from './download.js';
export * from './download-temp.js';
