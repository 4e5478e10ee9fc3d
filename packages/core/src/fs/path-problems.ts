import { InputError, OperationError, type MantleError } from '../errors/mantle-error.js';

/**
 * Stable codes of the path problems a user can fix (exit 2), one per kind, whichever tool meets
 * them: a mistyped input, an output that is a directory, a read-only place.
 */
export const PathProblem = {
  /** an input file or directory does not exist */
  InputNotFound: 'INPUT_NOT_FOUND',
  /** an input exists but may not be read */
  InputNotReadable: 'INPUT_NOT_READABLE',
  /** a directory where an input file was expected */
  InputIsDirectory: 'INPUT_IS_DIRECTORY',
  /** a file (or something else) where an input directory was expected */
  InputNotDirectory: 'INPUT_NOT_A_DIRECTORY',
  /** the output path is a directory where a file is to be written */
  OutputIsDirectory: 'OUTPUT_IS_DIRECTORY',
  /** the output path is a file (or device) where a directory is to be written */
  OutputNotDirectory: 'OUTPUT_NOT_A_DIRECTORY',
  /** the output path is a device, FIFO or socket: an atomic rename would replace it */
  OutputNotRegular: 'OUTPUT_NOT_A_FILE',
  /** the output file exists and replacing it was not asked for */
  OutputExists: 'OUTPUT_EXISTS',
  /** the directory the output goes in does not exist */
  OutputParentMissing: 'OUTPUT_PARENT_MISSING',
  /** the output may not be created there: permissions, a read-only file system, /proc */
  OutputNotWritable: 'OUTPUT_NOT_WRITABLE',
} as const;

export type PathProblemCode = (typeof PathProblem)[keyof typeof PathProblem];

/** How the path was named on the command line, for messages: `--out`, `IMAGE`, `--key`. */
export interface PathLabel {
  /** the flag or positional that named the path (omit for paths that come from elsewhere) */
  flag?: string | undefined;
  /** the path as the user typed it (messages show this, not the absolute path) */
  path: string;
}

/** `--out x/y.raw` or `x/y.raw`: what a message starts with. */
export function pathLabel(l: PathLabel): string {
  return l.flag ? `${l.flag} ${l.path}` : l.path;
}

/** Why an errno stops a write there, in words. */
const WRITE_REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  // /proc and other virtual file systems refuse new files with ENOENT although the directory exists
  ENOENT: 'the file system does not allow new files there',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

/** True for the errno of a failed file operation (an Error with a string `code` such as ENOENT). */
export function isErrno(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

/**
 * Map a failed write/create/rename at `where` (the file or directory the output goes to) to the
 * error a user can act on: a path problem is exit 2 naming the path, a full disk is a failure
 * (exit 1), anything else is returned as the original error wrapped with the path.
 */
export function outputWriteError(err: unknown, label: PathLabel, where: string): MantleError {
  const code = isErrno(err) ? (err.code ?? '') : '';
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new OperationError({
      code: 'OUTPUT_NO_SPACE',
      message: `${pathLabel(label)}: no space left in ${where}`,
      hint: 'free some space or write somewhere else',
      cause: err,
      details: { path: label.path, errno: code },
    });
  }
  if (code === 'EISDIR') {
    return new InputError({
      code: PathProblem.OutputIsDirectory,
      message: `${pathLabel(label)} is a directory`,
      hint: 'give the path of a file to create, not a directory',
      cause: err,
      details: { path: label.path },
    });
  }
  const reason = WRITE_REASONS[code];
  if (reason) {
    return new InputError({
      code: PathProblem.OutputNotWritable,
      message: `${pathLabel(label)}: cannot write in ${where} (${reason})`,
      hint: 'choose a directory you can write to',
      cause: err,
      details: { path: label.path, dir: where, errno: code },
    });
  }
  return new OperationError({
    code: 'OUTPUT_WRITE_FAILED',
    message: `${pathLabel(label)}: cannot write in ${where}: ${err instanceof Error ? err.message : String(err)}`,
    cause: err,
    details: { path: label.path, dir: where },
  });
}

/**
 * Map a failed read/stat of an input to exit 2 naming it: missing, unreadable, or a directory
 * where a file was expected. `cwd` is named in the hint of a relative path that is missing,
 * since relative paths are taken from the caller's directory.
 */
export function inputReadError(err: unknown, label: PathLabel, cwd?: string): InputError {
  const code = isErrno(err) ? (err.code ?? '') : '';
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    const relative = !label.path.startsWith('/') && !label.path.startsWith('~');
    return new InputError({
      code: PathProblem.InputNotFound,
      message: `${pathLabel(label)}: no such file or directory`,
      hint:
        relative && cwd
          ? `check the path (relative paths are taken from the current directory, ${cwd})`
          : 'check the path',
      cause: err,
      details: { path: label.path },
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new InputError({
      code: PathProblem.InputNotReadable,
      message: `${pathLabel(label)}: permission denied`,
      hint: 'make it readable for this user, or run as a user who can read it',
      cause: err,
      details: { path: label.path },
    });
  }
  if (code === 'EISDIR') {
    return new InputError({
      code: PathProblem.InputIsDirectory,
      message: `${pathLabel(label)} is a directory, not a file`,
      hint: 'give the path of a file',
      cause: err,
      details: { path: label.path },
    });
  }
  return new InputError({
    code: PathProblem.InputNotReadable,
    message: `${pathLabel(label)}: cannot read it: ${err instanceof Error ? err.message : String(err)}`,
    hint: 'check the path',
    cause: err,
    details: { path: label.path },
  });
}
