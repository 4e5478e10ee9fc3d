import { access, constants, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../errors/mantle-error.js';
import { inputReadError, PathProblem, pathLabel } from './path-problems.js';

export interface InputPathOptions {
  /** the caller's directory: relative paths are taken from it */
  cwd: string;
  /** the flag or positional that named the path (`--image`, `SPEC`), for messages */
  flag?: string | undefined;
  /** what must be there (default: a file) */
  kind?: 'file' | 'dir' | 'any';
}

/**
 * Check an input path the user gave before any work starts: it exists, is readable and is a
 * file (or a directory, as asked). A missing or unreadable input is exit 2 naming the flag and
 * the path as typed, in every tool. Returns the absolute path.
 */
export async function checkInputPath(path: string, opts: InputPathOptions): Promise<string> {
  const abs = resolve(opts.cwd, path);
  const label = { flag: opts.flag, path };
  const kind = opts.kind ?? 'file';
  let st;
  try {
    st = await stat(abs);
    await access(abs, constants.R_OK);
  } catch (err) {
    throw inputReadError(err, label, opts.cwd);
  }
  if (kind === 'file' && st.isDirectory()) {
    throw new InputError({
      code: PathProblem.InputIsDirectory,
      message: `${pathLabel(label)} is a directory, not a file`,
      hint: 'give the path of a file',
      details: { path },
    });
  }
  if (kind === 'dir' && !st.isDirectory()) {
    throw new InputError({
      code: PathProblem.InputNotDirectory,
      message: `${pathLabel(label)} is not a directory`,
      hint: 'give the path of a directory',
      details: { path },
    });
  }
  return abs;
}
