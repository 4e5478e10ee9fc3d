import { describe, expect, it } from 'vitest';
import {
  checkName,
  checkVersion,
  imageFileName,
  imageNameOf,
  normalizeSystemdArch,
  parseReleaseStem,
} from './names.js';

/** The error `fn` throws (or rejects with), for checking its code and exit code. */
function thrown(fn: () => unknown): { code?: string; exitCode?: number; message: string; hint?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; exitCode?: number; message: string; hint?: string };
  }
  throw new Error('expected a throw');
}

describe('sysext names', () => {
  it('accepts plain names and refuses slashes, .raw and odd characters with exit 2', () => {
    expect(checkName('docker')).toBe('docker');
    expect(checkName('docker-compose')).toBe('docker-compose');
    for (const bad of ['a/b', '../x', 'docker.raw', '-x', 'a b', '']) {
      expect(thrown(() => checkName(bad, 'NAME'))).toMatchObject({ code: 'BAD_NAME', exitCode: 2 });
    }
    expect(() => checkName('a/b', 'NAME')).toThrow(/NAME "a\/b" contains a '\/'/);
  });

  it('normalizes architecture aliases and names the flag for unknown ones', () => {
    expect(normalizeSystemdArch('amd64')).toBe('x86-64');
    expect(normalizeSystemdArch('x86_64')).toBe('x86-64');
    expect(normalizeSystemdArch('aarch64')).toBe('arm64');
    expect(thrown(() => normalizeSystemdArch('sparc'))).toMatchObject({ code: 'BAD_ARCH', exitCode: 2 });
    expect(() => normalizeSystemdArch('sparc')).toThrow('--arch "sparc"');
  });

  it('checks versions', () => {
    expect(checkVersion('v1.29.2+k3s1')).toBe('v1.29.2+k3s1');
    expect(() => checkVersion('1.0/2')).toThrow(/--version "1.0\/2"/);
  });

  it('names release files and reads them back', () => {
    expect(imageFileName('docker', '24.0.9', 'x86-64')).toBe('docker-24.0.9-x86-64.raw');
    expect(imageFileName('docker', undefined, 'arm64')).toBe('docker.raw');
    expect(imageNameOf('/etc/extensions/docker.raw')).toBe('docker');
    expect(parseReleaseStem('docker-24.0.9-x86-64')).toEqual({
      name: 'docker',
      version: '24.0.9',
      arch: 'x86-64',
    });
    expect(parseReleaseStem('docker-compose-2.24.6-arm64')).toEqual({
      name: 'docker-compose',
      version: '2.24.6',
      arch: 'arm64',
    });
    expect(parseReleaseStem('k3s-v1.29.2+k3s1-x86-64')).toEqual({
      name: 'k3s',
      version: 'v1.29.2+k3s1',
      arch: 'x86-64',
    });
    expect(parseReleaseStem('docker')).toBeUndefined();
  });
});
