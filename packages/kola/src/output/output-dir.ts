import { lstat, mkdir, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '@mantle/core/errors';
import { checkOutputDir, writeFileAtomic } from '@mantle/core/fs';

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

/** Where a run's output will go, checked but not created yet (see planOutputDir). */
export interface PlannedOutputDir {
  /** absolute path of the run's directory */
  dir: string;
  /** it holds files of an earlier kola run that are wiped when the run starts */
  wipe: boolean;
  /** the `<platform>-latest` symlink to point at it when the run starts */
  latest?: string;
}

/**
 * Decide and check the run's output directory without writing anything, so a run whose inputs
 * or prerequisites are bad (an image, --key, qemu) leaves no directory behind and does not move
 * `<platform>-latest`. The default is `_kola_temp/<platform>-<stamp>-<pid>`. An existing
 * `--output-dir` is reused when empty, wiped when kola owns it, and otherwise refused; a file, a
 * missing parent or a place this process cannot write is refused too (InputError, exit 2): kola
 * never deletes a directory it did not make.
 */
export async function planOutputDir(opts: PrepareOutputDirOptions): Promise<PlannedOutputDir> {
  const useDefault = !opts.outputDir;
  const dir = useDefault
    ? resolve(
        opts.cwd,
        KOLA_TEMP,
        `${opts.platform}-${runStamp(opts.now ?? new Date())}-${opts.pid ?? process.pid}`,
      )
    : resolve(opts.cwd, opts.outputDir ?? '');
  const existing = await lstat(dir).catch(() => undefined);
  let wipe = false;
  if (existing) {
    if (!existing.isDirectory()) {
      throw new InputError({
        code: 'OUTPUT_DIR_NOT_A_DIRECTORY',
        message: `--output-dir ${dir} exists and is not a directory`,
        hint: 'give a new directory name',
      });
    }
    if ((await readdir(dir)).length > 0) {
      if (!(await isKolaOwned(dir))) {
        throw new InputError({
          code: 'OUTPUT_DIR_NOT_KOLA',
          message: `--output-dir ${dir} exists, is not empty and was not made by kola (no ${HARNESS_MARKER} marker)`,
          hint: 'give a new or empty directory; kola only wipes directories named _*_temp or holding its marker',
        });
      }
      wipe = true;
    }
  }
  // Writable? The default's _kola_temp is made in the working directory when missing.
  if (useDefault) await checkOutputDir(KOLA_TEMP, { cwd: opts.cwd, flag: 'the output directory' });
  else await checkOutputDir(opts.outputDir ?? '', { cwd: opts.cwd, flag: '--output-dir' });
  const planned: PlannedOutputDir = { dir, wipe };
  if (useDefault && opts.latestLink !== false) planned.latest = join(dirname(dir), `${opts.platform}-latest`);
  return planned;
}

/** Create a planned output directory: wipe kola's old files, mark it, move `<platform>-latest`. */
export async function createOutputDir(plan: PlannedOutputDir): Promise<PreparedOutputDir> {
  if (plan.wipe) await rm(plan.dir, { recursive: true, force: true });
  await mkdir(plan.dir, { recursive: true });
  await writeFileAtomic(join(plan.dir, HARNESS_MARKER), 'kola output directory; safe to delete\n');
  const out: PreparedOutputDir = { dir: plan.dir };
  if (plan.latest) {
    out.latest = plan.latest;
    await replaceSymlink(basename(plan.dir), plan.latest);
  }
  return out;
}

/** planOutputDir then createOutputDir, for callers with nothing to check in between. */
export async function prepareOutputDir(opts: PrepareOutputDirOptions): Promise<PreparedOutputDir> {
  return createOutputDir(await planOutputDir(opts));
}

/** Point `link` at `target` atomically (a temp symlink renamed over the old one). */
async function replaceSymlink(target: string, link: string): Promise<void> {
  const tmp = `${link}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await symlink(target, tmp);
  await rename(tmp, link);
}
