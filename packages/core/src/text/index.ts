// text: name patterns (globs) shared by the tools' flags, and the edit distance of "did you mean" hints.
export * from './glob.js';
export * from './edit-distance.js';
