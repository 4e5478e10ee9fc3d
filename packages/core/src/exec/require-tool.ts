import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { PrerequisiteError } from '../errors/mantle-error.js';
import { debianPackageOf } from './debian-packages.js';

export interface RequireToolOptions {
  /** the Debian package that provides the tool, named in the error (default: core's table) */
  debianPackage?: string;
  /** what the tool is needed for, named in the error */
  purpose?: string;
  env?: NodeJS.ProcessEnv;
}

// sbin dirs hold mkfs/sfdisk/debugfs; a non-root PATH often lacks them, yet they run fine unprivileged.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

const cache = new Map<string, string>();

/** Find an executable on PATH (plus the sbin dirs); undefined when missing. */
export async function findTool(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (name.includes('/')) {
    return (await isExecutable(name)) ? name : undefined;
  }
  const key = `${env.PATH ?? ''}:${name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) {
      cache.set(key, candidate);
      return candidate;
    }
  }
  return undefined;
}

/** The absolute path of a tool, or a PrerequisiteError (exit 3) naming the package to install. */
export async function requireTool(name: string, opts: RequireToolOptions = {}): Promise<string> {
  const found = await findTool(name, opts.env);
  if (found) return found;
  throw toolMissingError(name, opts);
}

/** TOOL_MISSING (exit 3): `name` is not installed; the hint names its Debian package when known. */
export function toolMissingError(
  name: string,
  opts: Pick<RequireToolOptions, 'debianPackage' | 'purpose'> & { cause?: unknown } = {},
): PrerequisiteError {
  const pkg = opts.debianPackage ?? debianPackageOf(name);
  return new PrerequisiteError({
    code: 'TOOL_MISSING',
    message: `${name} was not found on PATH${opts.purpose ? ` (needed to ${opts.purpose})` : ''}`,
    hint: pkg ? `install it: apt-get install ${pkg}` : `install ${name} and put it on PATH`,
    details: { tool: name, ...(pkg ? { debianPackage: pkg } : {}) },
    ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
