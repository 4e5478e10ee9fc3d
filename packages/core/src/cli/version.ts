import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Read a package's version from its package.json, given `import.meta.url` of a module in dist/ or src/. */
export function packageVersion(moduleUrl: string): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, moduleUrl), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name?.startsWith('@mantle/') && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0-unknown';
}

/** True when the module at `moduleUrl` is the script node was started with (bins, not imports). */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
