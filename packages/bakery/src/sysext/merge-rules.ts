// Would systemd-sysext merge this image on that host? The checks follow systemd's
// extension_release_validate() (v252–v256): scope, ARCHITECTURE, ID (`_any` matches all), then
// SYSEXT_LEVEL when both host and image declare one, else VERSION_ID. Before that, the metadata
// must be found at all: systemd opens extension-release.NAME where NAME is the name the image is
// loaded under (the file or symlink name in /etc/extensions without .raw) — a versioned file name
// like docker-24.0-x86-64.raw silently never matches extension-release.docker.

/** The host an image is checked against. */
export interface HostRelease {
  id: string;
  versionId?: string;
  sysextLevel?: string;
  /** systemd architecture name (x86-64, arm64, ...) */
  arch: string;
  /** the scope the extension is merged in (systemd-sysext merges for `system`) */
  scope?: 'system' | 'initrd' | 'portable';
  /** where the host data came from, for messages */
  source: string;
}

/** One reason an image would not merge (or a warning about one that would). */
export interface MergeFinding {
  code: string;
  message: string;
  hint?: string;
}

/** The parts of an inspection the rules need. */
export interface MergeInput {
  /** the name the image is loaded under */
  imageName: string;
  /** extension-release files by NAME */
  metadata: { name: string; fields: Record<string, string>; error?: string }[];
  topLevel: string[];
  hasOsRelease: boolean;
  hasUsrSbin: boolean;
  units: string[];
}

export interface MergeVerdict {
  mergeable: boolean;
  /** the metadata file systemd would use, when found */
  metadataName?: string;
  reasons: MergeFinding[];
  warnings: MergeFinding[];
}

/** Decide whether systemd-sysext would merge an image, listing every reason it would not. */
export function mergeVerdict(
  input: MergeInput,
  host: HostRelease,
  opts: { imagePath?: string } = {},
): MergeVerdict {
  const reasons: MergeFinding[] = [];
  const warnings: MergeFinding[] = [];
  const name = input.imageName;
  const shown = opts.imagePath ?? `${name}.raw`;

  if (input.hasOsRelease) {
    reasons.push({
      code: 'HAS_OS_RELEASE',
      message: 'the image carries usr/lib/os-release; systemd-sysext refuses extensions that do',
      hint: 'rebuild without usr/lib/os-release',
    });
  }
  const meta = input.metadata.find((m) => m.name === name);
  if (!meta) {
    const others = input.metadata.filter((m) => !m.error);
    if (others.length === 0) {
      reasons.push({
        code: 'NO_METADATA',
        message: `the image has no usr/lib/extension-release.d/extension-release.${name}${input.metadata.length > 0 ? ` (only unreadable ${input.metadata.map((m) => m.name).join(', ')})` : ''}`,
        hint: `rebuild it with metadata: bakery create ${name} --from DIR`,
      });
    } else {
      const m = others[0]!;
      const list = others.map((o) => `extension-release.${o.name}`).join(', ');
      reasons.push({
        code: 'NAME_MISMATCH',
        message: `loaded as ${JSON.stringify(name)}, systemd looks for usr/lib/extension-release.d/extension-release.${name}, but the image carries ${list} (systemd 252 then fails the whole merge: "Failed to read metadata for image ${name}: No medium found")`,
        hint:
          others.length === 1
            ? `install it under its metadata name: keep the file as /opt/extensions/${m.name}/${shown.split('/').pop()} and link /etc/extensions/${m.name}.raw to it (ln -s /opt/extensions/${m.name}/${shown.split('/').pop()} /etc/extensions/${m.name}.raw), or rename it to ${m.name}.raw`
            : 'install it as /etc/extensions/NAME.raw with one of the names above',
      });
    }
  } else if (meta.error) {
    reasons.push({
      code: 'BAD_METADATA',
      message: `extension-release.${name} cannot be parsed: ${meta.error}`,
      hint: 'rebuild the image with bakery create',
    });
  }

  if (meta && !meta.error) checkRelease(meta.fields, host, name, reasons);

  if (!input.topLevel.includes('usr') && !input.topLevel.includes('opt')) {
    warnings.push({
      code: 'NOTHING_TO_MERGE',
      message: 'the image has neither usr/ nor opt/: merging it changes nothing',
    });
  }
  const ignored = input.topLevel.filter((t) => t !== 'usr' && t !== 'opt');
  if (ignored.length > 0) {
    warnings.push({
      code: 'IGNORED_TOP_LEVEL',
      message: `${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} outside /usr and /opt and will be ignored`,
      hint: 'move the files below usr/',
    });
  }
  if (input.hasUsrSbin && host.id === 'flatcar') {
    warnings.push({
      code: 'USR_SBIN',
      message:
        "the image has usr/sbin: on Flatcar /usr/sbin is a symlink to bin and the merged directory hides the host's tools",
      hint: 'rebuild with binaries in usr/bin',
    });
  }
  if (meta?.fields && input.units.length > 0 && meta.fields.EXTENSION_RELOAD_MANAGER !== '1') {
    warnings.push({
      code: 'NO_RELOAD',
      message: `the image ships ${input.units.length} unit(s) without EXTENSION_RELOAD_MANAGER=1: run systemctl daemon-reload after merging (Flatcar: systemctl restart systemd-sysext ensure-sysext)`,
    });
  }
  return { mergeable: reasons.length === 0, ...(meta ? { metadataName: meta.name } : {}), reasons, warnings };
}

function checkRelease(
  f: Record<string, string>,
  host: HostRelease,
  name: string,
  reasons: MergeFinding[],
): void {
  const scope = host.scope ?? 'system';
  if (f.SYSEXT_SCOPE !== undefined) {
    const scopes = f.SYSEXT_SCOPE.split(/\s+/).filter(Boolean);
    if (!scopes.includes(scope)) {
      reasons.push({
        code: 'SCOPE_MISMATCH',
        message: `SYSEXT_SCOPE=${f.SYSEXT_SCOPE} does not include ${scope}`,
        hint: `rebuild with --scope ${scope}`,
      });
    }
  }
  const arch = f.ARCHITECTURE;
  if (arch && arch !== '_any' && arch !== host.arch) {
    reasons.push({
      code: 'ARCH_MISMATCH',
      message: `ARCHITECTURE=${arch}, but the host is ${host.arch}`,
      hint: `use the ${host.arch} build of ${name}`,
    });
  }
  const id = f.ID;
  if (!id) {
    reasons.push({
      code: 'NO_ID',
      message: `extension-release.${name} has no ID=`,
      hint: 'rebuild with --os ID (or _any)',
    });
    return;
  }
  if (id === '_any') return;
  if (id !== host.id) {
    reasons.push({
      code: 'ID_MISMATCH',
      message: `ID=${id}, but the host (${host.source}) is ID=${host.id}`,
      hint: `rebuild with --os ${host.id} (or --os _any for static binaries)`,
    });
    return;
  }
  // A rolling-release host (no VERSION_ID, no SYSEXT_LEVEL) accepts any image of its ID.
  if (!host.versionId && !host.sysextLevel) return;
  const level = f.SYSEXT_LEVEL;
  if (host.sysextLevel && level) {
    if (level !== host.sysextLevel) {
      reasons.push({
        code: 'SYSEXT_LEVEL_MISMATCH',
        message: `SYSEXT_LEVEL=${level}, but the host has SYSEXT_LEVEL=${host.sysextLevel}`,
        hint: `rebuild with --sysext-level ${host.sysextLevel}`,
      });
    }
    return;
  }
  if (host.versionId) {
    const v = f.VERSION_ID;
    if (!v) {
      reasons.push({
        code: 'NO_VERSION_MATCH',
        message: `the image has neither a SYSEXT_LEVEL the host declares${host.sysextLevel ? '' : ' (the host has none)'} nor VERSION_ID; the host requires VERSION_ID=${host.versionId}`,
        hint: host.sysextLevel
          ? `rebuild with --sysext-level ${host.sysextLevel}`
          : `rebuild with --version-id ${host.versionId} (or --os _any)`,
      });
    } else if (v !== host.versionId) {
      reasons.push({
        code: 'VERSION_ID_MISMATCH',
        message: `VERSION_ID=${v}, but the host has VERSION_ID=${host.versionId}`,
        hint: `rebuild with --version-id ${host.versionId}${host.sysextLevel ? ` or --sysext-level ${host.sysextLevel}` : ''}`,
      });
    }
  }
}
