// text: name patterns (globs) shared by the tools' flags.
export * from './glob.js';
