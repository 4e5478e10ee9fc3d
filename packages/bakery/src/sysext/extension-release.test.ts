import { describe, expect, it } from 'vitest';
import { buildExtensionRelease, formatExtensionRelease, parseExtensionRelease } from './extension-release.js';

describe('extension-release', () => {
  it('defaults to ID=_any with the architecture', () => {
    const { release } = buildExtensionRelease({ arch: 'x86-64' });
    expect(formatExtensionRelease(release)).toBe('ID=_any\nARCHITECTURE=x86-64\n');
  });

  it('gives Flatcar SYSEXT_LEVEL=1.0 unless told otherwise', () => {
    expect(buildExtensionRelease({ os: 'flatcar', arch: 'arm64' }).release.fields).toEqual({
      ID: 'flatcar',
      SYSEXT_LEVEL: '1.0',
      ARCHITECTURE: 'arm64',
    });
    expect(
      buildExtensionRelease({ os: 'flatcar', versionId: '3815.2.0', arch: 'arm64' }).release.fields,
    ).toEqual({ ID: 'flatcar', VERSION_ID: '3815.2.0', ARCHITECTURE: 'arm64' });
  });

  it('warns about an OS without version matching and refuses both matchers', () => {
    expect(buildExtensionRelease({ os: 'debian', arch: 'x86-64' }).warnings[0]).toMatch(/rolling releases/);
    expect(() =>
      buildExtensionRelease({ os: 'flatcar', sysextLevel: '1.0', versionId: '1', arch: 'x86-64' }),
    ).toThrow(/both given/);
    expect(() => buildExtensionRelease({ os: 'Bad OS', arch: 'x86-64' })).toThrow(/--os "Bad OS"/);
    expect(() => buildExtensionRelease({ arch: 'x86-64', scope: ['nowhere'] })).toThrow(/--scope "nowhere"/);
  });

  it('writes reload manager and scope, and parses its own output', () => {
    const { release } = buildExtensionRelease({
      os: 'fedora',
      versionId: '40',
      arch: 'x86-64',
      reloadManager: true,
      scope: ['system', 'portable'],
    });
    const text = formatExtensionRelease(release);
    expect(text).toContain('EXTENSION_RELOAD_MANAGER=1\n');
    expect(text).toContain('SYSEXT_SCOPE="system portable"\n');
    const back = parseExtensionRelease(text, 'x');
    expect(back).toMatchObject({
      id: 'fedora',
      versionId: '40',
      reloadManager: true,
      scope: ['system', 'portable'],
    });
  });
});
