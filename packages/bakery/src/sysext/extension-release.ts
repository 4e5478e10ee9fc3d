import { InputError } from '@mantle/core/errors';
import { parseOsRelease } from '@mantle/core/image';
import type { SysextArch } from './names.js';

/** What usr/lib/extension-release.d/extension-release.NAME declares. */
export interface ExtensionRelease {
  /** OS ID the extension is for, or `_any` */
  id: string;
  sysextLevel?: string;
  versionId?: string;
  architecture?: string;
  /** EXTENSION_RELOAD_MANAGER=1: systemd reloads units after merging (systemd ≥ 255) */
  reloadManager?: boolean;
  /** SYSEXT_SCOPE=, space separated: system, initrd, portable */
  scope?: string[];
  /** every KEY=value the file holds, including the ones above */
  fields: Record<string, string>;
}

/** Where systemd looks for an extension's metadata, relative to the image root. */
export const EXTENSION_RELEASE_DIR = 'usr/lib/extension-release.d';

/** The metadata path for an image named NAME. */
export function extensionReleasePath(name: string): string {
  return `${EXTENSION_RELEASE_DIR}/extension-release.${name}`;
}

const SYSEXT_SCOPES = ['system', 'initrd', 'portable'] as const;

export interface MetadataOptions {
  /** --os: an os-release ID or `_any` (default `_any`) */
  os?: string;
  sysextLevel?: string;
  versionId?: string;
  arch: SysextArch;
  reloadManager?: boolean;
  scope?: readonly string[];
}

const ID_RE = /^(_any|[a-z0-9._-]+)$/;
const VALUE_RE = /^[A-Za-z0-9._~+-]+$/;

/**
 * Decide the metadata for a build. Flatcar gets SYSEXT_LEVEL=1.0 unless told otherwise (its
 * updates change VERSION_ID every few weeks); `_any` needs neither; other IDs keep what is given.
 */
export function buildExtensionRelease(opts: MetadataOptions): {
  release: ExtensionRelease;
  warnings: string[];
} {
  const warnings: string[] = [];
  const id = opts.os ?? '_any';
  if (!ID_RE.test(id)) {
    throw new InputError({
      code: 'BAD_OS_ID',
      message: `--os ${JSON.stringify(id)} is not an os-release ID`,
      hint: 'use the ID= of the target (e.g. flatcar, debian, fedora) or _any',
      details: { field: '--os', value: id },
    });
  }
  if (opts.sysextLevel !== undefined && opts.versionId !== undefined) {
    throw new InputError({
      code: 'BAD_METADATA',
      message: '--sysext-level and --version-id were both given',
      hint: 'systemd matches SYSEXT_LEVEL when the host has one, else VERSION_ID: pass only one',
    });
  }
  checkReleaseValue('--sysext-level', opts.sysextLevel);
  checkReleaseValue('--version-id', opts.versionId);
  const scope = opts.scope ? [...opts.scope] : undefined;
  for (const s of scope ?? []) {
    if (!(SYSEXT_SCOPES as readonly string[]).includes(s)) {
      throw new InputError({
        code: 'BAD_METADATA',
        message: `--scope ${JSON.stringify(s)} is not a sysext scope`,
        hint: `use ${SYSEXT_SCOPES.join(', ')}`,
        details: { field: '--scope', value: s },
      });
    }
  }
  let sysextLevel = opts.sysextLevel;
  const versionId = opts.versionId;
  if (id === '_any') {
    if (sysextLevel !== undefined || versionId !== undefined) {
      warnings.push('ID=_any matches every OS; systemd ignores SYSEXT_LEVEL/VERSION_ID for it');
    }
  } else if (sysextLevel === undefined && versionId === undefined) {
    if (id === 'flatcar') sysextLevel = '1.0';
    else
      warnings.push(
        `ID=${id} without SYSEXT_LEVEL or VERSION_ID only merges on hosts whose os-release has neither (rolling releases); pass --version-id or --sysext-level`,
      );
  }
  const fields: Record<string, string> = { ID: id };
  if (sysextLevel !== undefined) fields.SYSEXT_LEVEL = sysextLevel;
  if (versionId !== undefined) fields.VERSION_ID = versionId;
  fields.ARCHITECTURE = opts.arch;
  if (opts.reloadManager) fields.EXTENSION_RELOAD_MANAGER = '1';
  if (scope && scope.length > 0) fields.SYSEXT_SCOPE = scope.join(' ');
  return {
    release: {
      id,
      ...(sysextLevel !== undefined ? { sysextLevel } : {}),
      ...(versionId !== undefined ? { versionId } : {}),
      architecture: opts.arch,
      ...(opts.reloadManager ? { reloadManager: true } : {}),
      ...(scope && scope.length > 0 ? { scope } : {}),
      fields,
    },
    warnings,
  };
}

/** The file text for metadata (KEY=value lines, quoted when needed). */
export function formatExtensionRelease(release: ExtensionRelease): string {
  return (
    Object.entries(release.fields)
      .map(([k, v]) => `${k}=${/^[A-Za-z0-9._~+:/-]*$/.test(v) ? v : JSON.stringify(v)}`)
      .join('\n') + '\n'
  );
}

/** Parse extension-release text (os-release syntax). */
export function parseExtensionRelease(text: string, source: string): ExtensionRelease {
  const fields = parseOsRelease(text, source);
  return fromFields(fields);
}

/** The typed view of parsed KEY=value fields. */
function fromFields(fields: Record<string, string>): ExtensionRelease {
  const scope = fields.SYSEXT_SCOPE?.split(/\s+/).filter(Boolean);
  return {
    id: fields.ID ?? '',
    ...(fields.SYSEXT_LEVEL ? { sysextLevel: fields.SYSEXT_LEVEL } : {}),
    ...(fields.VERSION_ID ? { versionId: fields.VERSION_ID } : {}),
    ...(fields.ARCHITECTURE ? { architecture: fields.ARCHITECTURE } : {}),
    ...(fields.EXTENSION_RELOAD_MANAGER === '1' ? { reloadManager: true } : {}),
    ...(scope && scope.length > 0 ? { scope } : {}),
    fields,
  };
}

/** A SYSEXT_LEVEL=/VERSION_ID= value from a flag: what create writes and validate compares (exit 2 otherwise). */
export function checkReleaseValue(flag: string, v: string | undefined): void {
  if (v !== undefined && !VALUE_RE.test(v)) {
    throw new InputError({
      code: 'BAD_METADATA',
      message: `${flag} ${JSON.stringify(v)} has characters os-release values cannot hold unquoted`,
      hint: 'use letters, digits and . _ ~ + -',
      details: { field: flag, value: v },
    });
  }
}
