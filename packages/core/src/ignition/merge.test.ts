import { describe, expect, it } from 'vitest';
import { renderIgnition } from './canonical.js';
import { mergeIgnition, newIgnition } from './merge.js';
import { validateIgnition } from './parse.js';
import type { IgnitionConfig } from './types.js';
import { ignitionFromUserData } from './user-data.js';

describe('newIgnition', () => {
  it('defaults to 3.3.0 and takes a version', () => {
    expect(newIgnition()).toEqual({ ignition: { version: '3.3.0' } });
    expect(newIgnition('3.4.0').ignition.version).toBe('3.4.0');
  });
});

describe('mergeIgnition', () => {
  const user: IgnitionConfig = {
    ignition: { version: '3.3.0' },
    passwd: { users: [{ name: 'core', sshAuthorizedKeys: ['ssh-ed25519 AAAA user'], groups: ['docker'] }] },
    storage: {
      files: [
        { path: '/etc/hostname', contents: { source: 'data:,user' } },
        { path: '/etc/keep', contents: { source: 'data:,keep' } },
      ],
      links: [{ path: '/etc/extensions/docker.raw', target: '/opt/docker.raw' }],
    },
    systemd: {
      units: [
        {
          name: 'app.service',
          enabled: true,
          dropins: [{ name: '10-a.conf', contents: '[Service]\nA=1\n' }],
        },
      ],
    },
  };
  const kola: IgnitionConfig = {
    ignition: { version: '3.0.0' },
    passwd: {
      users: [{ name: 'core', sshAuthorizedKeys: ['ssh-ed25519 BBBB kola', 'ssh-ed25519 AAAA user'] }],
    },
    storage: {
      files: [{ path: '/etc/hostname', mode: 420, contents: { source: 'data:,kola' } }],
      directories: [{ path: '/etc/extensions/docker.raw' }],
    },
    systemd: {
      units: [
        {
          name: 'app.service',
          dropins: [{ name: '10-a.conf', contents: '[Service]\nA=2\n' }, { name: '20-b.conf' }],
        },
      ],
    },
  };

  it('unions SSH keys of the same user, keeping order and other fields', () => {
    const m = mergeIgnition(user, kola);
    expect(m.passwd?.users).toEqual([
      {
        groups: ['docker'],
        name: 'core',
        sshAuthorizedKeys: ['ssh-ed25519 AAAA user', 'ssh-ed25519 BBBB kola'],
      },
    ]);
  });

  it('takes the highest version', () => {
    expect(mergeIgnition(kola, user).ignition.version).toBe('3.3.0');
    expect(
      mergeIgnition(newIgnition('3.1.0'), newIgnition('3.4.0'), newIgnition('3.2.0')).ignition.version,
    ).toBe('3.4.0');
  });

  it('lets a later entry for a path replace an earlier one whole, across kinds', () => {
    const m = mergeIgnition(user, kola);
    expect(m.storage?.files).toEqual([
      { path: '/etc/hostname', contents: { source: 'data:,kola' }, mode: 420 },
      { path: '/etc/keep', contents: { source: 'data:,keep' } },
    ]);
    expect(m.storage?.links).toBeUndefined();
    expect(m.storage?.directories).toEqual([{ path: '/etc/extensions/docker.raw' }]);
  });

  it('merges units field by field and drop-ins by name', () => {
    expect(mergeIgnition(user, kola).systemd?.units).toEqual([
      {
        dropins: [{ contents: '[Service]\nA=2\n', name: '10-a.conf' }, { name: '20-b.conf' }],
        enabled: true,
        name: 'app.service',
      },
    ]);
  });

  it('does not modify its inputs and yields a valid config', () => {
    const before = JSON.stringify(user);
    const m = mergeIgnition(user, kola);
    expect(JSON.stringify(user)).toBe(before);
    expect(validateIgnition(m).warnings).toEqual([]);
  });

  it('concatenates merge sources and kernel arguments without duplicates', () => {
    const a: IgnitionConfig = {
      ignition: { version: '3.3.0', config: { merge: [{ source: 'https://a.test/1.ign' }] } },
      kernelArguments: { shouldExist: ['quiet'] },
    };
    const b: IgnitionConfig = {
      ignition: {
        version: '3.3.0',
        config: { merge: [{ source: 'https://a.test/1.ign' }, { source: 'https://a.test/2.ign' }] },
        timeouts: { httpTotal: 30 },
      },
      kernelArguments: { shouldExist: ['quiet', 'console=ttyS0'], shouldNotExist: ['rhgb'] },
    };
    expect(mergeIgnition(a, b)).toEqual({
      ignition: {
        config: { merge: [{ source: 'https://a.test/1.ign' }, { source: 'https://a.test/2.ign' }] },
        timeouts: { httpTotal: 30 },
        version: '3.3.0',
      },
      kernelArguments: { shouldExist: ['quiet', 'console=ttyS0'], shouldNotExist: ['rhgb'] },
    });
  });

  it('works on user data translated from Butane (the kola path)', () => {
    const test = ignitionFromUserData(
      'variant: flatcar\nversion: 1.0.0\npasswd:\n  users:\n    - name: core\n      groups: [sudo]\n',
    ).config;
    const kolaCfg: IgnitionConfig = {
      ignition: { version: '3.3.0' },
      passwd: { users: [{ name: 'core', sshAuthorizedKeys: ['ssh-ed25519 KOLA'] }] },
    };
    expect(renderIgnition(mergeIgnition(test, kolaCfg))).toBe(
      '{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"groups":["sudo"],"name":"core","sshAuthorizedKeys":["ssh-ed25519 KOLA"]}]}}',
    );
  });
});
