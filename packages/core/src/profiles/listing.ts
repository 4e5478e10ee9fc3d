import { stat } from 'node:fs/promises';
import { MantleError } from '../errors/mantle-error.js';
import {
  PLATFORM_LABELS,
  type PlatformProfiles,
  type ProfilePlatform,
  type ProfileSourceInfo,
  type ProfileSourceProblem,
} from './types.js';
import type { SourceFile } from './source.js';

/** A platform's listing with its sources and nothing found yet. */
export function emptyListing(platform: ProfilePlatform, sources: ProfileSourceInfo[]): PlatformProfiles {
  return { platform, label: PLATFORM_LABELS[platform], sources, profiles: [], errors: [], warnings: [] };
}

/** Turn an error thrown while reading a source into a listing entry (the listing goes on). */
export function sourceProblem(source: string, err: unknown): ProfileSourceProblem {
  if (err instanceof MantleError) {
    const d = err.details ?? {};
    return {
      source,
      code: err.code,
      message: err.message,
      ...(typeof d.line === 'number' ? { line: d.line } : {}),
      ...(typeof d.column === 'number' ? { column: d.column } : {}),
    };
  }
  // Not a MantleError: say only what kind of failure it was; its message might quote the file.
  return { source, code: 'PROFILE_READ_FAILED', message: `${source}: could not be read` };
}

/** A warning when a credentials file is readable or writable by other users. */
export async function permissionWarning(src: SourceFile): Promise<string | undefined> {
  try {
    const st = await stat(src.path);
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
      return `${src.display} is accessible by other users (mode ${mode}); run: chmod 600 ${src.display}`;
    }
  } catch {
    // the file vanished or is unreadable; the reader reports that
  }
  return undefined;
}
