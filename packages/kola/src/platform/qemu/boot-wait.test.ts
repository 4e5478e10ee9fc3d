import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InterruptedError } from '@mantle/core/errors';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { consoleTail, probeSshBanner, waitForSsh } from './boot-wait.js';

// Real loopback servers stand in for qemu's forwarded port: one speaks SSH, one hangs up.
let dir: string;
const servers: Server[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kola-boot-wait-'));
});
afterAll(async () => {
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});

async function listen(onConn: (sock: import('node:net').Socket) => void): Promise<number> {
  const server = createServer(onConn);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

const never = new Promise<string>(() => undefined);

test('a banner means sshd; a hang-up (what qemu does while the guest is not listening) does not', async () => {
  const ssh = await listen((s) => s.end('SSH-2.0-dropbear\r\n'));
  const rude = await listen((s) => s.destroy());
  expect(await probeSshBanner(ssh, 1000)).toBe(true);
  expect(await probeSshBanner(rude, 1000)).toBe(false);
  const outcome = await waitForSsh({ port: ssh, deadline: Date.now() + 5000, stop: never });
  expect(outcome).toEqual({ kind: 'ready', via: 'banner' });
});

test('the console marker counts only after the offset; a kernel panic stops the wait', async () => {
  const rude = await listen((s) => s.destroy());
  const consolePath = join(dir, 'console.txt');
  await writeFile(consolePath, 'mantle-tiny: ready (old boot)\n');
  const offset = 30;
  const waiting = waitForSsh({
    port: rude,
    deadline: Date.now() + 5000,
    stop: never,
    console: { path: consolePath, marker: 'mantle-tiny: ready', offset },
  });
  await new Promise((r) => setTimeout(r, 200));
  await appendFile(consolePath, 'booting\nmantle-tiny: re');
  await new Promise((r) => setTimeout(r, 200));
  await appendFile(consolePath, 'ady (ssh on port 22)\n');
  expect(await waiting).toEqual({ kind: 'ready', via: 'marker' });

  const panicPath = join(dir, 'panic.txt');
  await writeFile(panicPath, '[    1.0] Kernel panic - not syncing: No working init found.\n');
  const outcome = await waitForSsh({
    port: rude,
    deadline: Date.now() + 5000,
    stop: never,
    console: { path: panicPath, offset: 0 },
  });
  expect(outcome).toEqual({ kind: 'panic', line: 'Kernel panic - not syncing: No working init found.' });
  expect(await consoleTail(panicPath, 1)).toContain('Kernel panic');
});

test('timeout, stop and abort end the wait', async () => {
  const rude = await listen((s) => s.destroy());
  expect(await waitForSsh({ port: rude, deadline: Date.now() + 300, stop: never })).toEqual({
    kind: 'timeout',
  });
  expect(
    await waitForSsh({ port: rude, deadline: Date.now() + 5000, stop: Promise.resolve('qemu exited') }),
  ).toEqual({
    kind: 'stopped',
    reason: 'qemu exited',
  });
  const ac = new AbortController();
  const waiting = waitForSsh({ port: rude, deadline: Date.now() + 5000, stop: never, signal: ac.signal });
  ac.abort();
  await expect(waiting).rejects.toBeInstanceOf(InterruptedError);
});
