import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlakeFileError } from '../errors.js';
import { hostView } from './layout.js';
import { loadPilotConfig } from './pilot-config.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pilot-config-'));
  await mkdir(join(root, 'etc'), { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadPilotConfig', () => {
  it("uses flake-pilot's defaults, seen through the root override, when there is no flakes.yml", async () => {
    const c = await loadPilotConfig(hostView(root), { usermode: false, env: {} });
    expect(c).toMatchObject({
      configFile: join(root, 'etc', 'flakes.yml'),
      flakesDir: join(root, 'usr', 'share', 'flakes'),
      podmanIdsDir: join(root, 'tmp', 'flakes'),
      podmanStorageConf: undefined,
      vmRegistryDir: join(root, 'var', 'lib', 'firecracker'),
    });
  });

  it('reads /etc/flakes.yml: flakes_dir, ids dirs and the podman storage configuration', async () => {
    await writeFile(
      join(root, 'etc', 'flakes.yml'),
      [
        'generic:',
        '  flakes_dir: /opt/flakes',
        '  podman_ids_dir: /run/flake-ids',
        '  firecracker_ids_dir: /run/vm-ids',
        '  podman_storage_conf: /etc/flakes/storage.conf',
        '',
      ].join('\n'),
    );
    const c = await loadPilotConfig(hostView(root), { usermode: false, env: {} });
    expect(c).toMatchObject({
      flakesDir: join(root, 'opt', 'flakes'),
      podmanIdsDir: join(root, 'run', 'flake-ids'),
      firecrackerIdsDir: join(root, 'run', 'vm-ids'),
      podmanStorageConf: join(root, 'etc', 'flakes', 'storage.conf'),
      warnings: [],
    });
  });

  it("a user's own setup: ~/.config/flakes.yml, flakes under ~/.config/flakes by default", async () => {
    const home = join(root, 'home', 'u');
    await mkdir(join(home, '.config'), { recursive: true });
    await writeFile(join(home, '.config', 'flakes.yml'), 'generic:\n  podman_ids_dir: /home/u/.ids\n');
    const c = await loadPilotConfig(hostView(root), { usermode: true, env: { HOME: '/home/u' } });
    expect(c).toMatchObject({
      usermode: true,
      configFile: join(home, '.config', 'flakes.yml'),
      flakesDir: join(home, '.config', 'flakes'),
      podmanIdsDir: join(home, '.ids'),
    });
  });

  it('names file, line and key of a wrong type, a relative path and (as a warning) an unknown key', async () => {
    const file = join(root, 'etc', 'flakes.yml');
    await writeFile(file, 'generic:\n  flakes_dir: 7\n  podman_ids_dir: tmp/ids\n');
    const err = await loadPilotConfig(hostView(root), { usermode: false, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlakeFileError);
    expect((err as FlakeFileError).problems.map((p) => `${p.file}:${p.line}: ${p.key}`)).toEqual([
      `${file}:2: generic.flakes_dir`,
    ]);
    await writeFile(file, 'generic:\n  podman_ids_dir: tmp/ids\n  flake_dir: /x\n');
    const rel = await loadPilotConfig(hostView(root), { usermode: false, env: {} }).catch((e: unknown) => e);
    expect((rel as FlakeFileError).problems.map((p) => `${p.line}: ${p.key}: ${p.message}`)).toEqual([
      '2: generic.podman_ids_dir: must be an absolute path, got "tmp/ids"',
    ]);
    await writeFile(file, 'generic:\n  flake_dir: /x\n');
    const c = await loadPilotConfig(hostView(root), { usermode: false, env: {} });
    expect(c.warnings.map((p) => `${p.line}: ${p.key}`)).toEqual(['2: generic.flake_dir']);
  });
});
