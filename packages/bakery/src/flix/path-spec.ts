import { posix } from 'node:path';
import { InputError } from '@mantle/core/errors';

// The PATH arguments of flix and flatwrap: a path as it is inside the root filesystem, or
// CHROOT:TARGET to put it somewhere else in the extension (/bin/tool:/usr/bin/tool). Only /usr
// and /opt of an extension are merged, so every target must land there.

export interface PathSpec {
  /** the argument as given */
  spec: string;
  /** the path inside the root filesystem (absolute) */
  from: string;
  /** the explicit TARGET of CHROOT:TARGET, normalized and absolute */
  target?: string;
}

const DEFAULT_HINT = 'pass /usr/bin/tool, or CHROOT:TARGET like /bin/tool:/usr/bin/tool';

/** Split CHROOT:TARGET; the chroot path must be absolute. */
export function parsePathSpec(spec: string, code: string, hint = DEFAULT_HINT): PathSpec {
  const i = spec.indexOf(':');
  const from = i < 0 ? spec : spec.slice(0, i);
  if (!from.startsWith('/') || (i >= 0 && spec.slice(i + 1) === '')) throw badPath(spec, code, hint);
  return i < 0 ? { spec, from } : { spec, from, target: posix.normalize('/' + spec.slice(i + 1)) };
}

/** Check that a target lands under /usr or /opt; returns it relative to the image root (usr/...). */
export function checkTarget(spec: string, target: string, code: string, hint = DEFAULT_HINT): string {
  const norm = posix.normalize('/' + target);
  if (!(norm.startsWith('/usr/') || norm.startsWith('/opt/'))) throw badPath(spec, code, hint);
  return norm.slice(1);
}

function badPath(spec: string, code: string, hint: string): InputError {
  return new InputError({
    code,
    message: `${spec}: paths must be absolute and land under /usr or /opt`,
    hint,
    details: { path: spec },
  });
}
