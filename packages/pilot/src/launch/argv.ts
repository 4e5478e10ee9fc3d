// The launcher's own arguments, as flake-pilot reads them: every caller argument that starts
// with `@` names an instance, every one that starts with `%` is a pilot option (`%name` or
// `%name:value`); neither reaches the app. Everything else goes to the app unchanged and in order.
//
// Beyond flake-pilot: `%%x` and `@@x` hand the app a literal `%x` / `@x` (flake-pilot has no way
// to pass an argument starting with % or @, e.g. `date +%s` works but `printf %s` does not).

/** Options a launcher understands; any other `%name` is reported and ignored. */
const KNOWN_PILOT_OPTIONS = [
  'remove',
  'interactive',
  'ignore_sync_error',
  'ignore_missing_volume_path',
  'progress',
  'port',
  'chdir',
] as const;

export interface PilotArgs {
  /** the `@NAME` argument including its `@`, when one was given */
  instance: string | undefined;
  /** every `@NAME` argument given (all are checked, the first is used, as in flake-pilot) */
  instances: string[];
  /** `%name` → value (`''` when given without `:value`) */
  options: Map<string, string>;
  /** the arguments for the app */
  appArgs: string[];
  /** `%name` options the launchers do not know */
  unknownOptions: string[];
}

/** Split the caller's arguments into instance name, pilot options and the app's arguments. */
export function parsePilotArgs(argv: readonly string[]): PilotArgs {
  const instances: string[] = [];
  const options = new Map<string, string>();
  const appArgs: string[] = [];
  const unknownOptions: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('%%') || arg.startsWith('@@')) {
      appArgs.push(arg.slice(1));
    } else if (arg.startsWith('@')) {
      instances.push(arg);
    } else if (arg.startsWith('%')) {
      // flake-pilot splits at the last ':' (rsplit_once)
      const colon = arg.lastIndexOf(':');
      const name = colon > 0 ? arg.slice(1, colon) : arg.slice(1);
      const value = colon > 0 ? arg.slice(colon + 1) : '';
      options.set(name, value);
      if (!(KNOWN_PILOT_OPTIONS as readonly string[]).includes(name)) unknownOptions.push(arg);
    } else {
      appArgs.push(arg);
    }
  }
  return { instance: instances[0], instances, options, appArgs, unknownOptions };
}

/**
 * flake-pilot's rule for `@NAME`: it becomes part of file, socket and device names, so only
 * `@` followed by letters, digits, `@ = _ -`, at most 64 characters in all.
 */
export function isSafeInstanceName(name: string): boolean {
  return name.length > 1 && name.length <= 64 && /^@[A-Za-z0-9@=_-]+$/.test(name);
}
