// disk: GPT in userspace, Flatcar layouts, USR A/B attributes, FAT/ext4 filesystems without root.
export * from './block-source.js';
export * from './crc32.js';
export * from './guid.js';
export * from './gpt-attributes.js';
export * from './partition-types.js';
export * from './gpt/index.js';
export * from './gpt-text.js';
export * from './mbr.js';
export * from './usr-ab.js';
export * from './flatcar-layout.js';
export * from './layout.js';
export * from './layout-image.js';
export * from './partition-ref.js';
export * from './fat.js';
export * from './ext4.js';
export * from './disk-image.js';
export * from './bios-boot.js';
