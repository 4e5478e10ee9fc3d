import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineCommand, type CliSpec } from './command.js';
import { writeOut } from './context.js';

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

/** The one line every tool's `--version` and `version` print: `NAME VERSION[ SUFFIX]`. */
export function versionLine(spec: CliSpec): string {
  const suffix = spec.versionInfo?.().suffix;
  return `${spec.name} ${spec.version}${suffix ? ` ${suffix}` : ''}`;
}

/** `<tool> version [--json]`, the same in every tool (mantle's tools had it): from package.json. */
export function versionCommand(spec: CliSpec) {
  return defineCommand({
    command: 'version',
    describe: `print ${spec.name}'s version (--json: as an object)`,
    examples: [
      ['$0 version', `one line: ${spec.name} and its version`],
      ['$0 version --json', 'name, version and more as JSON'],
    ],
    run: () => Promise.resolve({ name: spec.name, version: spec.version, ...spec.versionInfo?.().details }),
    print: (_data, ctx) => writeOut(ctx, versionLine(spec)),
  });
}
