import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError, UsageError, errorMessage } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { parseOsRelease } from '@mantle/core/image';
import { checkInputPath } from '@mantle/core/fs';
import { checkReleaseValue } from '../sysext/extension-release.js';
import { checkName, hostSystemdArch, normalizeSystemdArch } from '../sysext/names.js';
import { mergeVerdict, type HostRelease, type MergeVerdict } from '../sysext/merge-rules.js';
import { inspectWith, type SysextInspection } from './inspect-sysext.js';
import { openSysext } from './sysext-reader.js';

export interface ValidateOptions {
  /** an os-release file of the host (e.g. a copy of /usr/lib/os-release) */
  against?: string;
  /** or the host given as flags */
  os?: string;
  versionId?: string;
  sysextLevel?: string;
  /** the host architecture; default: this machine's */
  arch?: string;
  /** the name the image will be loaded under (default: its file or symlink name) */
  name?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

export interface ValidateResult extends MergeVerdict {
  image: string;
  imageName: string;
  format: string;
  host: HostRelease;
  metadata: SysextInspection['metadata'];
}

/** Read the host description from --against or --os/--version-id/--sysext-level. */
export async function hostFromOptions(opts: ValidateOptions): Promise<HostRelease> {
  // The flags are checked as `bakery create` checks them: what create refuses, validate refuses.
  const arch = opts.arch !== undefined ? normalizeSystemdArch(opts.arch) : hostSystemdArch();
  checkReleaseValue('--sysext-level', opts.sysextLevel);
  checkReleaseValue('--version-id', opts.versionId);
  if (opts.against !== undefined) {
    if (opts.os !== undefined || opts.versionId !== undefined || opts.sysextLevel !== undefined) {
      throw new UsageError({
        code: 'BAD_USAGE',
        message: '--against cannot be combined with --os/--version-id/--sysext-level',
        hint: 'describe the host one way',
      });
    }
    const path = resolve(opts.cwd ?? process.cwd(), opts.against);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new InputError({
        code: 'OS_RELEASE_UNREADABLE',
        message: `--against ${opts.against}: ${errorMessage(err)}`,
        hint: 'pass the host os-release file (e.g. copied from /usr/lib/os-release)',
        cause: err,
        details: { field: '--against' },
      });
    }
    const f = parseOsRelease(text, path);
    if (!f.ID)
      throw new InputError({
        code: 'OS_RELEASE_NO_ID',
        message: `--against ${opts.against} has no ID=`,
        hint: 'pass an os-release(5) file',
        details: { field: '--against' },
      });
    return {
      id: f.ID,
      ...(f.VERSION_ID ? { versionId: f.VERSION_ID } : {}),
      ...(f.SYSEXT_LEVEL ? { sysextLevel: f.SYSEXT_LEVEL } : {}),
      arch,
      scope: 'system',
      source: path,
    };
  }
  if (opts.os === undefined) {
    throw new UsageError({
      code: 'BAD_USAGE',
      message: 'say which host to check against: --against OS_RELEASE_FILE or --os ID',
      hint: 'e.g. --os flatcar --sysext-level 1.0, or --against /usr/lib/os-release',
    });
  }
  if (opts.versionId !== undefined && opts.sysextLevel !== undefined) {
    throw new UsageError({
      code: 'BAD_USAGE',
      message: '--version-id and --sysext-level were both given',
      hint: 'give the one the host declares (Flatcar declares both: use --against its os-release)',
    });
  }
  return {
    id: opts.os,
    ...(opts.versionId !== undefined ? { versionId: opts.versionId } : {}),
    ...(opts.sysextLevel !== undefined ? { sysextLevel: opts.sysextLevel } : {}),
    arch,
    scope: 'system',
    source: `--os ${opts.os}`,
  };
}

/** Would systemd-sysext merge IMAGE on the host? Bad input throws (exit 2); a verdict is data. */
export async function validateSysext(image: string, opts: ValidateOptions = {}): Promise<ValidateResult> {
  const path = await checkInputPath(image, { cwd: opts.cwd ?? process.cwd(), flag: 'IMAGE' });
  const host = await hostFromOptions(opts);
  if (opts.name !== undefined) checkName(opts.name, '--name');
  const reader = await openSysext(path, {
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  let inspection: SysextInspection;
  try {
    inspection = await inspectWith(reader);
  } finally {
    await reader.close();
  }
  const imageName = opts.name ?? inspection.imageName;
  const verdict = mergeVerdict(
    {
      imageName,
      metadata: inspection.metadata,
      topLevel: inspection.topLevel,
      hasOsRelease: inspection.hasOsRelease,
      hasUsrSbin: inspection.files.some((e) => e.path === 'usr/sbin'),
      units: inspection.units,
    },
    host,
    { imagePath: image },
  );
  return {
    image: path,
    imageName,
    format: inspection.format,
    host,
    metadata: inspection.metadata,
    ...verdict,
  };
}
