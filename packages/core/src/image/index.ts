// image: see the modules in this folder.
export {};
