import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { connectIdentityChannel } from './identity-channel.js';

// The host side against a unix socket server playing qemu's chardev with an agent behind it
// (the guest side, images/common/identity-agent, runs in the real-qemu snapshot tests).
let dir: string;
let server: Server;
let guest: Promise<Socket>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kola-identity-'));
  server = createServer();
  guest = new Promise((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(join(dir, 'id.sock'), resolve));
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** Lines the host wrote, as the agent reads them. */
function lines(sock: Socket): string[] {
  const got: string[] = [];
  let buf = '';
  sock.on('data', (d) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      got.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  return got;
}

describe('identity channel', () => {
  test('asks a template for hello with an empty line; runs a script as base64 and reads its answer', async () => {
    const ch = await connectIdentityChannel(join(dir, 'id.sock'), { askHello: true });
    const sock = await guest;
    const got = lines(sock);
    await expect.poll(() => got).toEqual(['']);
    expect(ch.hello).toBe(false);
    sock.write('mantle-identity hello\n');
    await expect.poll(() => ch.hello).toBe(true);
    const run = ch.run('echo reidentified', { timeoutMs: 5000 });
    await expect.poll(() => got.length).toBe(2);
    expect(Buffer.from(got[1] ?? '', 'base64').toString()).toBe('echo reidentified');
    sock.write('mantle-identity done 0 reidentified\n');
    expect(await run).toEqual({ stdout: 'reidentified', stderr: '', exitCode: 0, signal: undefined });
    // a failing script: its exit code and its output on one line
    const bad = ch.run('exit 3', { timeoutMs: 5000 });
    sock.write('mantle-identity done 3 mv: cannot move a b \n');
    expect(await bad).toMatchObject({ exitCode: 3, stdout: 'mv: cannot move a b ' });
    ch.close();
  });

  test('a silent agent is a timeout, a closed socket an error, each naming the channel', async () => {
    const ch = await connectIdentityChannel(join(dir, 'id.sock'));
    const sock = await guest;
    const silent = await ch.run('true', { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(silent).toMatchObject({ code: 'QEMU_IDENTITY_CHANNEL' });
    expect((silent as Error).message).toContain('did not answer within 0.1 s');
    const pending = ch.run('true', { timeoutMs: 5000 });
    sock.destroy();
    await expect(pending).rejects.toMatchObject({ code: 'QEMU_IDENTITY_CHANNEL' });
  });

  test('connecting to a socket that never appears fails once qemu exited', async () => {
    const gone = await connectIdentityChannel(join(dir, 'missing.sock'), { exited: Promise.resolve() }).catch(
      (e: unknown) => e,
    );
    expect(gone).toMatchObject({ code: 'QEMU_IDENTITY_CHANNEL' });
    expect((gone as Error).message).toContain('qemu exited');
  });
});
