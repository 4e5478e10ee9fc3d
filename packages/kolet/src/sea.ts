// Not a static `import 'node:sea'`: bundlers targeting node20 drop the `node:` prefix, and
// `sea` (unlike `fs`) exists only under that prefix.
let cached: boolean | undefined;

/** Whether this process is the kolet single executable (not `node dist/cli.js`). */
export function isSea(): boolean {
  if (cached === undefined) {
    try {
      const sea = process.getBuiltinModule('node:sea') as { isSea(): boolean } | undefined;
      cached = sea?.isSea() ?? false;
    } catch {
      cached = false;
    }
  }
  return cached;
}
