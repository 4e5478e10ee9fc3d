import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InputError } from '../errors/mantle-error.js';
import { isErrno, outputWriteError, PathProblem, pathLabel, type PathLabel } from './path-problems.js';

/**
 * Output paths are checked before the work starts (a bake, a build, a boot), so a typo or a
 * read-only place is an input error (exit 2) naming the path in a second, not a raw EISDIR
 * after minutes of work. The checks ask the file system itself: a probe file is created and
 * removed where the output will go (permission bits alone cannot tell a read-only mount, root's
 * rights or /proc, which refuses new files).
 */
export interface OutputPathOptions {
  /** the caller's directory: relative paths are taken from it */
  cwd: string;
  /** the flag or positional that named the path (`--out`, `OUT`), for messages */
  flag?: string | undefined;
}

export interface OutputFileOptions extends OutputPathOptions {
  /** replacing an existing file is allowed (the user gave --force) */
  overwrite?: boolean | undefined;
  /** the flag that allows replacing, named in the hint; undefined: there is none */
  overwriteFlag?: string | undefined;
}

export type OutputDirOptions = OutputPathOptions;

export interface CheckedOutputDir {
  /** the absolute path */
  path: string;
  /** whether it exists already (else `ensureOutputDir` creates it) */
  exists: boolean;
}

/**
 * Check that a file can be created at `path` (atomically: a temp file beside it renamed over
 * it): not a directory, not an existing file unless `overwrite`, in an existing directory this
 * process may create files in. Returns the absolute path.
 */
export async function checkOutputFile(path: string, opts: OutputFileOptions): Promise<string> {
  const abs = resolve(opts.cwd, path);
  const label = { flag: opts.flag, path };
  const st = await lstatOrUndefined(abs, label);
  if (st?.isDirectory()) {
    throw new InputError({
      code: PathProblem.OutputIsDirectory,
      message: `${pathLabel(label)} is a directory`,
      hint: `give the path of the file to create, e.g. ${joinShown(path, 'NAME')}`,
      details: { path },
    });
  }
  if (st && !st.isFile() && !st.isSymbolicLink()) {
    throw new InputError({
      code: PathProblem.OutputNotRegular,
      message: `${pathLabel(label)} is not a regular file (a device, FIFO or socket)`,
      hint: 'give the path of a regular file to create',
      details: { path },
    });
  }
  if (st && !opts.overwrite) {
    throw new InputError({
      code: PathProblem.OutputExists,
      message: `${pathLabel(label)} already exists`,
      hint: opts.overwriteFlag
        ? `pass ${opts.overwriteFlag} to replace it, or choose another path`
        : 'remove it first or choose another path',
      details: { path },
    });
  }
  await requireWritableDir(dirname(abs), label);
  return abs;
}

/**
 * Check that a directory can be written at `path`: an existing directory this process can
 * create files in, or a new one whose parent exists and is writable (the parent must exist: a
 * mistyped `--out /tmpp/x` is refused instead of creating /tmpp). Nothing is created.
 */
export async function checkOutputDir(path: string, opts: OutputDirOptions): Promise<CheckedOutputDir> {
  const abs = resolve(opts.cwd, path);
  const label = { flag: opts.flag, path };
  const st = await statOrUndefined(abs, label);
  if (st && !st.isDirectory()) {
    throw new InputError({
      code: PathProblem.OutputNotDirectory,
      message: `${pathLabel(label)} exists and is not a directory`,
      hint: 'give a directory, or a new name for one',
      details: { path },
    });
  }
  if (st) {
    await requireWritableDir(abs, label);
    return { path: abs, exists: true };
  }
  await requireWritableDir(dirname(abs), label);
  return { path: abs, exists: false };
}

/** Create a checked output directory (its parent exists); errors name the path (exit 2). */
export async function ensureOutputDir(path: string, opts: OutputDirOptions): Promise<string> {
  const checked = await checkOutputDir(path, opts);
  if (checked.exists) return checked.path;
  try {
    // Not recursive: Node's recursive mkdir spins forever where the file system refuses new
    // entries with ENOENT (/proc), and the parent is known to exist.
    await mkdir(checked.path);
  } catch (err) {
    if (!isErrno(err) || err.code !== 'EEXIST')
      throw outputWriteError(err, { flag: opts.flag, path }, dirname(checked.path));
  }
  return checked.path;
}

// The directory the output goes in must exist, be a directory, and take a new file.
async function requireWritableDir(dir: string, label: PathLabel): Promise<void> {
  const st = await statOrUndefined(dir, label);
  if (!st) {
    throw new InputError({
      code: PathProblem.OutputParentMissing,
      message: `${pathLabel(label)}: directory ${dir} does not exist`,
      hint: `create it first (mkdir -p ${dir}) or choose another path`,
      details: { path: label.path, dir },
    });
  }
  if (!st.isDirectory()) {
    throw new InputError({
      code: PathProblem.OutputNotWritable,
      message: `${pathLabel(label)}: ${dir} is not a directory`,
      hint: 'choose a path inside a directory',
      details: { path: label.path, dir },
    });
  }
  const probe = resolve(dir, `.mantle-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await open(probe, 'wx');
    await fh.close();
  } catch (err) {
    throw outputWriteError(err, label, dir);
  }
  await unlink(probe).catch(() => {});
}

async function lstatOrUndefined(abs: string, label: PathLabel) {
  try {
    return await lstat(abs);
  } catch (err) {
    return absentOr(err, label, abs);
  }
}

async function statOrUndefined(abs: string, label: PathLabel) {
  try {
    return await stat(abs);
  } catch (err) {
    return absentOr(err, label, abs);
  }
}

// ENOENT: absent. ENOTDIR: a parent is a file, which the parent check reports by name.
function absentOr(err: unknown, label: PathLabel, abs: string): undefined {
  if (isErrno(err) && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) {
    if (err.code === 'ENOTDIR') throw notUnderDir(label, abs);
    return undefined;
  }
  throw outputWriteError(err, label, dirname(abs));
}

function notUnderDir(label: PathLabel, abs: string): InputError {
  return new InputError({
    code: PathProblem.OutputNotWritable,
    message: `${pathLabel(label)}: a part of ${dirname(abs)} is a file, not a directory`,
    hint: 'choose a path inside a directory',
    details: { path: label.path },
  });
}

function joinShown(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}
