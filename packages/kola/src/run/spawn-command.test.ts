import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@mantle/core/log';
import type { CommandContext } from '@mantle/core/cli';
import { FakeFlight } from '../testing/fake-platform.js';
import type { PlatformFactory } from '../platform/registry.js';
import {
  SPAWN_STATE_FILE,
  SpawnOptionsSchema,
  spawnCommand,
  sshCommandLine,
  stopSpawn,
} from './spawn-command.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'kola-spawn-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

function context(json = false) {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  const ctx: CommandContext = {
    cwd,
    env: {},
    stdout,
    stderr: new PassThrough(),
    logger: createLogger({ stream: new PassThrough() }),
    json,
    signal: new AbortController().signal,
    setExitCode: () => {},
  };
  return { ctx, out: () => out };
}

describe('kola spawn', () => {
  it('boots N machines in one cluster, prints ssh lines, waits, then destroys them', async () => {
    const flights: FakeFlight[] = [];
    const userDataSeen: (string | undefined)[] = [];
    const platforms: Record<string, PlatformFactory> = {
      qemu: () => {
        const f = new FakeFlight();
        (f as unknown as { sshPrivateKeyPath: string }).sshPrivateKeyPath = '/keys/id_ed25519';
        const orig = f.newCluster.bind(f);
        f.newCluster = async (o) => {
          const c = await orig(o);
          const nm = c.newMachine.bind(c);
          c.newMachine = (u) => {
            userDataSeen.push(u);
            return nm(u);
          };
          return c;
        };
        flights.push(f);
        return Promise.resolve(f);
      },
    };
    await writeFile(join(cwd, 'ud.bu'), 'variant: flatcar\nversion: 1.0.0\n');
    const c = context();
    let waited = false;
    const state = await spawnCommand(
      SpawnOptionsSchema.parse({ nodecount: 2, userdata: 'ud.bu', outputDir: 'spawn-out' }),
      c.ctx,
      {
        platforms,
        waitForStop: () => {
          waited = true;
          expect(flights[0]?.clusters[0]?.destroyed).toBe(false);
          return Promise.resolve();
        },
      },
    );
    expect(waited).toBe(true);
    expect(state.machines).toHaveLength(2);
    expect(userDataSeen).toEqual([
      'variant: flatcar\nversion: 1.0.0\n',
      'variant: flatcar\nversion: 1.0.0\n',
    ]);
    const m = state.machines[0];
    expect(m?.ssh).toBe(
      `ssh -p ${m?.sshPort} -i /keys/id_ed25519 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null core@127.0.0.1`,
    );
    expect(m?.privateIp).toBe('10.0.0.10');
    expect(c.out()).toContain(`${m?.id}: ssh -p ${m?.sshPort}`);
    expect(c.out()).toContain('press Ctrl-C');
    expect(flights[0]?.destroyed).toBe(true);
  });

  it('rejects a missing user data file and --detach with --shell', async () => {
    const platforms: Record<string, PlatformFactory> = { qemu: () => Promise.resolve(new FakeFlight()) };
    await expect(
      spawnCommand(SpawnOptionsSchema.parse({ userdata: 'nope.ign' }), context().ctx, { platforms }),
    ).rejects.toMatchObject({
      code: 'INPUT_NOT_FOUND',
      exitCode: 2,
    });
    await expect(
      spawnCommand(SpawnOptionsSchema.parse({ detach: true, shell: true }), context().ctx, { platforms }),
    ).rejects.toMatchObject({
      exitCode: 2,
    });
  });

  it('--stop refuses a directory without state and never signals a pid that is not a kola spawn', async () => {
    await expect(stopSpawn('nowhere', context().ctx)).rejects.toMatchObject({
      code: 'NO_SPAWN_STATE',
      exitCode: 2,
    });
    const dir = join(cwd, 'stale');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    // a pid that is not a running `kola spawn` is never signalled; the stale state is removed
    await writeFile(
      join(dir, SPAWN_STATE_FILE),
      JSON.stringify({ pid: 999_999_999, outputDir: dir, machines: [] }),
    );
    const c = context();
    expect(await stopSpawn(dir, c.ctx)).toEqual({ pid: 999_999_999, stopped: true });
    expect(c.out()).toContain('no longer running');
    await expect(readFile(join(dir, SPAWN_STATE_FILE))).rejects.toThrow();
  });

  it('formats the ssh command line without a key when none is known', () => {
    expect(sshCommandLine({ ip: '127.0.0.1', sshPort: 2222 }, undefined)).toBe(
      'ssh -p 2222 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null core@127.0.0.1',
    );
  });
});
