import { InputError, type MantleErrorOptions } from '../errors/mantle-error.js';

/** Stable codes of paths refused by the confinement helpers (all exit 2: the input is hostile or broken). */
export const FsErrorCode = {
  /** an absolute path where a path relative to a root was expected */
  Absolute: 'PATH_ABSOLUTE',
  /** a `..` component */
  DotDot: 'PATH_DOTDOT',
  /** an empty path or name */
  Empty: 'PATH_EMPTY',
  /** a NUL, newline or other control character in a name */
  ControlChar: 'PATH_CONTROL_CHAR',
  /** a component of the path is a symbolic link (never followed) */
  Symlink: 'PATH_SYMLINK',
  /** a component that must be a directory is not one */
  NotDir: 'PATH_NOT_DIR',
  /** a device node, FIFO or socket where a file, directory or symlink was expected */
  Special: 'PATH_SPECIAL_FILE',
  /** the path to create already exists */
  Exists: 'PATH_EXISTS',
  /** the path does not exist */
  NotFound: 'PATH_NOT_FOUND',
  /** the file opened is not the one checked, or lies outside the root (the tree changed underneath) */
  Escaped: 'PATH_ESCAPED',
  /** too many symbolic links while resolving a path chroot-style */
  SymlinkLoop: 'PATH_SYMLINK_LOOP',
} as const;

export type FsErrorCodeValue = (typeof FsErrorCode)[keyof typeof FsErrorCode];

/** A path from a file, an archive or the network that would leave its root (exit 2). */
export class UnsafePathError extends InputError {
  constructor(opts: Omit<MantleErrorOptions, 'exitCode' | 'code'> & { code: FsErrorCodeValue }) {
    super(opts);
  }
}
