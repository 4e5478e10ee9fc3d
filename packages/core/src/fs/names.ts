import { FsErrorCode, UnsafePathError } from './errors.js';

// Names that end up in line-oriented tools (debugfs scripts, mksquashfs pseudo files, SHA256SUMS,
// systemd units) must not carry a line break, and no name may carry a NUL. Other C0 control
// characters and DEL are refused with them: no legitimate file name needs one, and a terminal
// escape in a name is a way to hide what a listing shows.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** True when `s` holds a C0 control character (NUL, newline, tab, escape, ...) or DEL. */
export function hasControlChars(s: string): boolean {
  return CONTROL.test(s);
}

/** Refuse a value with control characters; `what` names where it came from. Returns the value. */
export function checkNoControlChars(value: string, what: string): string {
  if (hasControlChars(value)) {
    throw new UnsafePathError({
      code: FsErrorCode.ControlChar,
      message: `${what} ${JSON.stringify(value)} contains a control character (newline, NUL, tab, escape, ...)`,
      hint: 'rename it to plain printable characters; such names can inject commands into line-oriented tools',
      details: { what, value },
    });
  }
  return value;
}

/** Check one file name (a single path segment): not empty, not `.` or `..`, no `/`, no control characters. */
export function checkSegment(name: string, what: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) {
    throw new UnsafePathError({
      code: name === '' ? FsErrorCode.Empty : name.includes('/') ? FsErrorCode.Absolute : FsErrorCode.DotDot,
      message: `${what} ${JSON.stringify(name)} is not a plain file name${name.includes('/') ? " (it contains '/')" : ''}`,
      hint: "use a name without '/', other than '.' and '..'",
      details: { what, value: name },
    });
  }
  return checkNoControlChars(name, what);
}

/**
 * Split a path that must stay below a root into its components: relative, no `..`, no control
 * characters. `''`, `.` and `./` mean the root itself (no components); `a//b/./c/` is `a b c`.
 */
export function splitRelative(rel: string, what: string): string[] {
  checkNoControlChars(rel, what);
  if (rel.startsWith('/')) {
    throw new UnsafePathError({
      code: FsErrorCode.Absolute,
      message: `${what} ${JSON.stringify(rel)} is an absolute path`,
      hint: 'give a path relative to the tree, without a leading /',
      details: { what, value: rel },
    });
  }
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new UnsafePathError({
      code: FsErrorCode.DotDot,
      message: `${what} ${JSON.stringify(rel)} contains '..'`,
      hint: 'give a path inside the tree, without ..',
      details: { what, value: rel },
    });
  }
  return parts;
}
