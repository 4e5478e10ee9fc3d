import { lstat, mkdir, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '@mantle/core/errors';
import { writeFileAtomic } from '@mantle/core/fs';

/** The file that marks a directory as kola's own output, so a later run may wipe it. */
export const HARNESS_MARKER = '.harness_temp';

/** The default parent of run directories, relative to the working directory. */
export const KOLA_TEMP = '_kola_temp';

export interface PrepareOutputDirOptions {
  cwd: string;
  platform: string;
  /** `--output-dir`: used as is (wiped first only when it is kola's own) */
  outputDir?: string | undefined;
  /** the clock, for the `<platform>-YYYY-MM-DD-HHMM-<pid>` name */
  now?: Date;
  pid?: number;
  /** maintain `_kola_temp/<platform>-latest` (default true for the default location) */
  latestLink?: boolean;
}

export interface PreparedOutputDir {
  /** absolute path of the run's directory, created and marked */
  dir: string;
  /** the `<platform>-latest` symlink, when one was made */
  latest?: string;
}

/** `YYYY-MM-DD-HHMM` in local time, as mantle names run directories. */
export function runStamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
}

/** True when a directory may be wiped: named `_*_temp` or holding the harness marker. */
export async function isKolaOwned(dir: string): Promise<boolean> {
  if (/^_.*_temp$/.test(basename(dir))) return true;
  return stat(join(dir, HARNESS_MARKER)).then(
    () => true,
    () => false,
  );
}

/**
 * Create the run's output directory. The default is `_kola_temp/<platform>-<stamp>-<pid>` with
 * a `<platform>-latest` symlink replaced atomically. An existing `--output-dir` is reused when
 * empty, wiped when kola owns it, and otherwise refused (InputError, exit 2): kola never deletes
 * a directory it did not make.
 */
export async function prepareOutputDir(opts: PrepareOutputDirOptions): Promise<PreparedOutputDir> {
  const useDefault = !opts.outputDir;
  const dir = useDefault
    ? resolve(
        opts.cwd,
        KOLA_TEMP,
        `${opts.platform}-${runStamp(opts.now ?? new Date())}-${opts.pid ?? process.pid}`,
      )
    : resolve(opts.cwd, opts.outputDir ?? '');
  const existing = await lstat(dir).catch(() => undefined);
  if (existing) {
    if (!existing.isDirectory()) {
      throw new InputError({
        code: 'OUTPUT_DIR_NOT_A_DIRECTORY',
        message: `--output-dir ${dir} exists and is not a directory`,
        hint: 'give a new directory name',
      });
    }
    const entries = await readdir(dir);
    if (entries.length > 0) {
      if (!(await isKolaOwned(dir))) {
        throw new InputError({
          code: 'OUTPUT_DIR_NOT_KOLA',
          message: `--output-dir ${dir} exists, is not empty and was not made by kola (no ${HARNESS_MARKER} marker)`,
          hint: 'give a new or empty directory; kola only wipes directories named _*_temp or holding its marker',
        });
      }
      await rm(dir, { recursive: true, force: true });
    }
  }
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, HARNESS_MARKER), 'kola output directory; safe to delete\n');
  const out: PreparedOutputDir = { dir };
  if (useDefault && opts.latestLink !== false) {
    out.latest = join(dirname(dir), `${opts.platform}-latest`);
    await replaceSymlink(basename(dir), out.latest);
  }
  return out;
}

/** Point `link` at `target` atomically (a temp symlink renamed over the old one). */
export async function replaceSymlink(target: string, link: string): Promise<void> {
  const tmp = `${link}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await symlink(target, tmp);
  await rename(tmp, link);
}
