// `%VAR` placeholders in a flake's podman arguments, as podman-pilot(8) documents them: `%NAME`
// (upper-case letters) becomes the value of $NAME in the caller's environment, or the text
// `$NAME` when it is not set. Nothing else is interpreted: no shell, no `${...}`, no command
// substitution. Unlike flake-pilot, a value is not expanded again (flake-pilot re-expands up to
// ten times, so a value containing `%X` changed meaning); one pass is what the manual describes.

const PLACEHOLDER = /%([A-Z]+)/g;

/** Replace `%NAME` placeholders in one argument with values from `env`. */
export function expandPercentVars(arg: string, env: NodeJS.ProcessEnv): string {
  return arg.replace(PLACEHOLDER, (_m, name: string) => env[name] ?? `$${name}`);
}

/**
 * A flake's `podman:` entry is one option and its optional value separated by the first space
 * ("--storage-opt size=10G"), as flake-pilot splits it; each part is expanded on its own.
 */
export function splitRuntimeOption(entry: string, env: NodeJS.ProcessEnv): string[] {
  const space = entry.indexOf(' ');
  const parts = space < 0 ? [entry] : [entry.slice(0, space), entry.slice(space + 1)];
  return parts.map((p) => expandPercentVars(p, env));
}
