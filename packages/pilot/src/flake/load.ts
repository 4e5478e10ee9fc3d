// Read one flake: `<flakes_dir>/<name>.yaml`, then `<name>.d/*.yaml` in sorted order, merged
// (merge.ts), checked for who may have written them (trust.ts) and validated (validate.ts).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FlakeFileError, UntrustedFileError, type FlakeProblem } from '../errors.js';
import { mergeLayers, type Layer } from './merge.js';
import type { Flake } from './schema.js';
import { distrustReason, stampOf, type Caller, type FileStamp } from './trust.js';
import { validateFlake } from './validate.js';
import { parseYamlWithOrigins } from './yaml-origins.js';

export interface LoadedFlake {
  name: string;
  flake: Flake;
  /** the base file, then the drop-ins in the order applied */
  files: string[];
  /** unknown keys and ignored drop-in files */
  warnings: FlakeProblem[];
  /** every file and directory the result depends on (for the launchers' cache) */
  stamps: FileStamp[];
}

export interface LoadFlakeOptions {
  /** unknown keys are errors */
  strict?: boolean;
  /** check ownership and modes (launchers do; `pilot show` reports instead of refusing) */
  caller?: Caller;
}

/** The files of flake `name` in `flakesDir`: base path, drop-in dir, drop-ins (sorted). */
export async function flakeFiles(
  flakesDir: string,
  name: string,
): Promise<{ base: string; dropinDir: string; dropins: string[]; ignored: string[] }> {
  const base = join(flakesDir, `${name}.yaml`);
  const dropinDir = join(flakesDir, `${name}.d`);
  let entries: string[] = [];
  try {
    entries = (await readdir(dropinDir, { withFileTypes: true }))
      .filter((e) => !e.isDirectory())
      .map((e) => e.name);
  } catch {
    // no drop-in directory
  }
  entries.sort();
  const isYaml = (n: string): boolean => /\.ya?ml$/.test(n) && !n.startsWith('.');
  return {
    base,
    dropinDir,
    dropins: entries.filter(isYaml).map((n) => join(dropinDir, n)),
    ignored: entries.filter((n) => !isYaml(n)).map((n) => join(dropinDir, n)),
  };
}

/** Throw UntrustedFileError for the first stamp others could have written. */
export function assertTrusted(stamps: readonly FileStamp[], caller: Caller): void {
  for (const s of stamps) {
    const reason = distrustReason(s, caller);
    if (reason) throw new UntrustedFileError(reason, s.path);
  }
}

/** Parse one YAML file into a layer, or throw its syntax errors with file and line. */
export async function readYamlLayer(path: string): Promise<Layer> {
  const text = await readFile(path, 'utf8');
  const parsed = parseYamlWithOrigins(text, path);
  if (parsed.errors.length > 0)
    throw new FlakeFileError(
      parsed.errors.map((e) => ({ file: path, line: e.line, key: '(syntax)', message: e.message })),
      'fix the YAML syntax at that line',
    );
  return { value: parsed.value, origins: parsed.origins };
}

/**
 * Load and validate flake `name` from `flakesDir`. The caller has checked that the base file
 * exists (a missing one is FlakeNotFoundError, decided where the search order is known).
 */
export async function loadFlake(
  flakesDir: string,
  name: string,
  opts: LoadFlakeOptions = {},
): Promise<LoadedFlake> {
  const files = await flakeFiles(flakesDir, name);
  const stamps = [
    stampOf(flakesDir),
    stampOf(files.base),
    stampOf(files.dropinDir),
    ...files.dropins.map(stampOf),
  ];
  if (opts.caller) assertTrusted(stamps, opts.caller);
  let merged = await readYamlLayer(files.base);
  for (const d of files.dropins) merged = mergeLayers(merged, await readYamlLayer(d));
  const result = validateFlake(merged, files.base, opts.strict ?? false);
  if (!result.ok) throw new FlakeFileError(result.problems);
  const warnings = [
    ...result.warnings,
    ...files.ignored.map((f) => ({
      file: f,
      line: 1,
      key: '(file)',
      message: 'not a .yaml file, not read (drop-ins are <app>.d/*.yaml)',
    })),
  ];
  return { name, flake: result.flake, files: [files.base, ...files.dropins], warnings, stamps };
}
