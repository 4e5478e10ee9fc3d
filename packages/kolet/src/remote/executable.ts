import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PrerequisiteError, errorMessage } from '@mantle/core/errors';

/** What the build writes next to the executable (dist/kolet.json). */
export interface KoletManifest {
  version: string;
  /** first 16 hex digits of the bundled script's sha256; `kolet version` prints it */
  buildId: string;
  /** sha256 of the executable (not of the .gz) */
  sha256: string;
  size: number;
  gzSize: number;
  /** the Node.js version inside */
  node: string;
  platform: string;
  arch: string;
  /** the tests whose native functions are bundled */
  bundledTests: string[];
}

/** The built executable and what kola needs to upload and verify it. */
export interface KoletArtifacts extends KoletManifest {
  executable: string;
  gz: string;
  sha256File: string;
  /** what `kolet version` prints for this build (compare it to skip re-uploads) */
  versionLine: string;
}

/** Where a caller's own build put an executable (kola's, carrying its tests), and how to make it. */
export interface KoletLocation {
  /** paths tried before kolet's own dist/kolet, first found wins */
  candidates?: readonly string[];
  /** the command that builds it, named in errors (default `pnpm --filter @mantle/kolet build`) */
  buildCommand?: string;
}

function buildHintFor(where: KoletLocation): string {
  return `build it with \`${where.buildCommand ?? 'pnpm --filter @mantle/kolet build'}\``;
}

function ownCandidates(): string[] {
  // dist/index.js (and its chunks) sit beside dist/kolet; src/ (tests run from source) one level down.
  return ['./kolet', '../dist/kolet'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
}

/**
 * The path of the kolet single executable: $KOLET_EXECUTABLE when set, else the first of
 * `where.candidates` that exists, else kolet's own dist/kolet (built with no test modules).
 * Throws PrerequisiteError (exit 3) when none has been built.
 */
export function koletExecutablePath(env: NodeJS.ProcessEnv = process.env, where: KoletLocation = {}): string {
  const buildHint = buildHintFor(where);
  const override = env.KOLET_EXECUTABLE;
  if (override) {
    if (existsSync(override)) return override;
    throw new PrerequisiteError({
      code: 'KOLET_EXECUTABLE_MISSING',
      message: `kolet executable missing: $KOLET_EXECUTABLE is ${override}, which does not exist`,
      hint: `unset KOLET_EXECUTABLE or ${buildHint}`,
    });
  }
  const tried = [...(where.candidates ?? []), ...ownCandidates()];
  const found = tried.find((p) => existsSync(p));
  if (found) return found;
  throw new PrerequisiteError({
    code: 'KOLET_EXECUTABLE_MISSING',
    message: `kolet executable missing — ${buildHint}`,
    hint: `${buildHint} (it writes ${tried[0] ?? 'dist/kolet'}, .gz and .sha256 beside it)`,
  });
}

/** The executable, its .gz, its checksum file and manifest; PrerequisiteError when not built. */
export function koletArtifacts(
  env: NodeJS.ProcessEnv = process.env,
  where: KoletLocation = {},
): KoletArtifacts {
  const buildHint = buildHintFor(where);
  const executable = koletExecutablePath(env, where);
  const gz = `${executable}.gz`;
  const sha256File = `${executable}.sha256`;
  const manifestFile = `${executable}.json`;
  let manifest: KoletManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as KoletManifest;
    if (!existsSync(gz)) throw new Error(`${gz} is missing`);
  } catch (err) {
    throw new PrerequisiteError({
      code: 'KOLET_ARTIFACTS_INCOMPLETE',
      message: `kolet build output is incomplete next to ${executable}: ${errorMessage(err)}`,
      hint: `re-run the build: ${buildHint}`,
      cause: err,
    });
  }
  return {
    ...manifest,
    executable,
    gz,
    sha256File,
    versionLine: koletVersionLine(manifest.version, manifest.buildId),
  };
}

/** The line `kolet version` prints. */
export function koletVersionLine(version: string, buildId: string): string {
  return `kolet ${version} build ${buildId}`;
}
