import { expect, test } from 'vitest';
import { InputError } from '@mantle/core/errors';
import { decodeDataUrl } from '@mantle/core/ignition';
import { LAN_NETWORK_FILE, machineIgnition } from './kola-ignition.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvX7sd0mR0c1z1nFq9B0lqRa1n0vQ0cq8q5x9VfR1tA kola@test';

interface Cfg {
  ignition: { version: string };
  passwd: { users: { name: string; sshAuthorizedKeys?: string[]; groups?: string[] }[] };
  storage?: { files: { path: string; contents: { source: string } }[] };
}

test('kola adds its key for core and root and the LAN network file', () => {
  const { json } = machineIgnition(undefined, {
    publicKeys: [KEY],
    lan: { mac: '52:54:00:12:34:56', address: '192.168.77.10', prefixLength: 24 },
  });
  const cfg = JSON.parse(json) as Cfg;
  expect(cfg.ignition.version).toMatch(/^3\./);
  expect(cfg.passwd.users.map((u) => [u.name, u.sshAuthorizedKeys])).toEqual([
    ['core', [KEY]],
    ['root', [KEY]],
  ]);
  const file = cfg.storage?.files.find((f) => f.path === LAN_NETWORK_FILE);
  const unit = decodeDataUrl(file?.contents.source ?? '').toString();
  expect(unit).toContain('MACAddress=52:54:00:12:34:56');
  expect(unit).toContain('Address=192.168.77.10/24');
});

test("Butane user data is translated and kola's key joins the test's own", () => {
  const butane = [
    'variant: flatcar',
    'version: 1.0.0',
    'passwd:',
    '  users:',
    '    - name: core',
    '      ssh_authorized_keys: ["ssh-ed25519 AAAAtest user@test"]',
    '      groups: [docker]',
  ].join('\n');
  const cfg = JSON.parse(machineIgnition(butane, { publicKeys: [KEY] }).json) as Cfg;
  const core = cfg.passwd.users.find((u) => u.name === 'core');
  expect(core?.sshAuthorizedKeys).toEqual(['ssh-ed25519 AAAAtest user@test', KEY]);
  expect(core?.groups).toEqual(['docker']);
  expect(cfg.storage).toBeUndefined();
});

test('broken user data is invalid input', () => {
  expect(() => machineIgnition('{"ignition": ', { publicKeys: [KEY] })).toThrow(InputError);
});
