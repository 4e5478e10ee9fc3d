// The virtual module scripts/build-sea.mjs generates for the single executable.
declare module 'kolet:bundled-tests' {
  /** the namespaces of the bundled test modules */
  export const tests: Record<string, unknown>[];
}
