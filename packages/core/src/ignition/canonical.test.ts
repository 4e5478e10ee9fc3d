import { describe, expect, it } from 'vitest';
import { canonicalize, renderIgnition } from './canonical.js';
import { snakeCase } from './schema.js';
import type { IgnitionConfig } from './types.js';
import { ignitionFromUserData } from './user-data.js';

describe('renderIgnition', () => {
  it('orders keys like Ignition and drops empty parts', () => {
    const cfg = {
      systemd: { units: [] },
      storage: {
        files: [
          {
            mode: 420,
            contents: { source: 'data:,x', compression: '' },
            user: {},
            path: '/x',
            overwrite: true,
          },
        ],
      },
      ignition: { version: '3.3.0', config: {} },
    } as unknown as IgnitionConfig;
    expect(renderIgnition(cfg)).toBe(
      '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"overwrite":true,"path":"/x","contents":{"compression":"","source":"data:,x"},"mode":420}]}}',
    );
  });

  it('is stable: equal configs render to equal text', () => {
    const a = {
      ignition: { version: '3.3.0' },
      passwd: { users: [{ uid: 1, name: 'a' }] },
    } as IgnitionConfig;
    const b = {
      passwd: { users: [{ name: 'a', uid: 1 }] },
      ignition: { version: '3.3.0' },
    } as IgnitionConfig;
    expect(renderIgnition(a)).toBe(renderIgnition(b));
  });

  it('pretty-prints with a trailing newline', () => {
    expect(renderIgnition({ ignition: { version: '3.3.0' } }, { pretty: true })).toBe(
      '{\n  "ignition": {\n    "version": "3.3.0"\n  }\n}\n',
    );
  });

  it('keeps unknown keys at the end', () => {
    expect(canonicalize({ x: 1, ignition: { version: '3.3.0' } })).toEqual({
      ignition: { version: '3.3.0' },
      x: 1,
    });
    expect(Object.keys(canonicalize({ x: 1, ignition: { version: '3.3.0' } }) as object)).toEqual([
      'ignition',
      'x',
    ]);
  });
});

describe('snakeCase', () => {
  it('spells Ignition keys the Butane way', () => {
    expect(snakeCase('sshAuthorizedKeys')).toBe('ssh_authorized_keys');
    expect(snakeCase('sizeMiB')).toBe('size_mib');
    expect(snakeCase('typeGuid')).toBe('type_guid');
    expect(snakeCase('tpm2')).toBe('tpm2');
    expect(snakeCase('httpResponseHeaders')).toBe('http_response_headers');
  });
});

describe('ignitionFromUserData', () => {
  it('reads Ignition JSON and Butane YAML', () => {
    expect(ignitionFromUserData('  {"ignition":{"version":"3.2.0"}}').kind).toBe('ignition');
    const b = ignitionFromUserData('variant: flatcar\nversion: 1.0.0\n');
    expect(b).toEqual({ config: { ignition: { version: '3.3.0' } }, warnings: [], kind: 'butane' });
  });

  it('refuses empty user data', () => {
    expect(() => ignitionFromUserData(' \n')).toThrow(/is empty/);
  });

  it('passes the source name into messages (an unknown key is a warning, as Butane and Ignition say)', () => {
    expect(
      ignitionFromUserData('{"ignition":{"version":"3.3.0"},"x":1}', { source: 'u.ign' }).warnings,
    ).toEqual([
      'u.ign:1:33: x: unknown key "x" (ignored); known keys here: ignition, kernelArguments, passwd, storage, systemd',
    ]);
    expect(
      ignitionFromUserData('variant: flatcar\nversion: 1.0.0\nx: 1\n', { source: 'u.bu' }).warnings,
    ).toEqual([
      'u.bu:3:1: x: unknown key "x" (ignored); known keys here: variant, version, ignition, kernel_arguments, passwd, storage, systemd, boot_device',
    ]);
    expect(() =>
      ignitionFromUserData('variant: flatcar\nversion: 1.0.0\nx: 1\n', { source: 'u.bu', strict: true }),
    ).toThrow('u.bu:3:1: x: unknown key "x" (ignored)');
  });
});
