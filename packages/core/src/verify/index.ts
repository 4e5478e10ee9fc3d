// verify: see the modules in this folder.
export {};
