import { describe, expect, it } from 'vitest';
import { mergeVerdict, type HostRelease, type MergeInput } from './merge-rules.js';

const flatcar: HostRelease = {
  id: 'flatcar',
  versionId: '3815.2.0',
  sysextLevel: '1.0',
  arch: 'x86-64',
  source: 'test',
};
const debian: HostRelease = { id: 'debian', versionId: '12', arch: 'x86-64', source: 'test' };
const arch: HostRelease = { id: 'arch', arch: 'x86-64', source: 'test' };

function input(name: string, fields: Record<string, string>, more: Partial<MergeInput> = {}): MergeInput {
  return {
    imageName: name,
    metadata: [{ name, fields }],
    topLevel: ['usr'],
    hasOsRelease: false,
    hasUsrSbin: false,
    units: [],
    ...more,
  };
}
const codes = (i: MergeInput, h: HostRelease): string[] => mergeVerdict(i, h).reasons.map((r) => r.code);

describe('mergeVerdict (systemd extension_release_validate)', () => {
  it('merges _any everywhere', () => {
    expect(codes(input('x', { ID: '_any' }), flatcar)).toEqual([]);
    expect(codes(input('x', { ID: '_any', ARCHITECTURE: 'x86-64' }), debian)).toEqual([]);
  });

  it('matches SYSEXT_LEVEL when both declare one, else VERSION_ID', () => {
    expect(codes(input('x', { ID: 'flatcar', SYSEXT_LEVEL: '1.0' }), flatcar)).toEqual([]);
    expect(codes(input('x', { ID: 'flatcar', SYSEXT_LEVEL: '2.0' }), flatcar)).toEqual([
      'SYSEXT_LEVEL_MISMATCH',
    ]);
    expect(codes(input('x', { ID: 'flatcar', VERSION_ID: '3815.2.0' }), flatcar)).toEqual([]);
    expect(codes(input('x', { ID: 'flatcar', VERSION_ID: '1.2.3' }), flatcar)).toEqual([
      'VERSION_ID_MISMATCH',
    ]);
    expect(codes(input('x', { ID: 'debian', SYSEXT_LEVEL: '1.0' }), debian)).toEqual(['NO_VERSION_MATCH']);
    expect(codes(input('x', { ID: 'debian' }), debian)).toEqual(['NO_VERSION_MATCH']);
    expect(codes(input('x', { ID: 'arch' }), arch)).toEqual([]);
  });

  it('refuses other IDs, architectures, scopes and os-release', () => {
    expect(codes(input('x', { ID: 'fedora', VERSION_ID: '12' }), debian)).toEqual(['ID_MISMATCH']);
    expect(codes(input('x', { ID: '_any', ARCHITECTURE: 'arm64' }), debian)).toEqual(['ARCH_MISMATCH']);
    expect(codes(input('x', { ID: '_any', SYSEXT_SCOPE: 'initrd' }), debian)).toEqual(['SCOPE_MISMATCH']);
    expect(codes(input('x', { ID: '_any' }, { hasOsRelease: true }), debian)).toEqual(['HAS_OS_RELEASE']);
    expect(codes(input('x', {}), debian)).toEqual(['NO_ID']);
  });

  it('explains the versioned-file-name trap with the symlink fix', () => {
    const v = mergeVerdict(
      {
        imageName: 'docker-24.0-x86-64',
        metadata: [{ name: 'docker', fields: { ID: '_any' } }],
        topLevel: ['usr'],
        hasOsRelease: false,
        hasUsrSbin: false,
        units: [],
      },
      flatcar,
      { imagePath: '/etc/extensions/docker-24.0-x86-64.raw' },
    );
    expect(v.mergeable).toBe(false);
    expect(v.reasons[0]).toMatchObject({ code: 'NAME_MISMATCH' });
    expect(v.reasons[0]!.message).toContain('extension-release.docker-24.0-x86-64');
    expect(v.reasons[0]!.hint).toContain('/etc/extensions/docker.raw');
    expect(
      codes(
        {
          imageName: 'x',
          metadata: [],
          topLevel: ['usr'],
          hasOsRelease: false,
          hasUsrSbin: false,
          units: [],
        },
        flatcar,
      ),
    ).toEqual(['NO_METADATA']);
  });

  it('warns without refusing', () => {
    const v = mergeVerdict(
      input('x', { ID: '_any' }, { topLevel: ['usr', 'etc'], hasUsrSbin: true, units: ['a.service'] }),
      flatcar,
    );
    expect(v.mergeable).toBe(true);
    expect(v.warnings.map((w) => w.code)).toEqual(['IGNORED_TOP_LEVEL', 'USR_SBIN', 'NO_RELOAD']);
  });
});
