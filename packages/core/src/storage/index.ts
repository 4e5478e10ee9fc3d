// storage: see the modules in this folder.
export {};
