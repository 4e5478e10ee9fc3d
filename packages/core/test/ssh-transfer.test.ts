// Integration: SFTP and exec-based file transfer and local port forwarding against real OpenSSH sshd.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellQuote, type SshClient } from '../src/index.js';
import { rejection } from './helpers/rejection.js';
import { connectTo, startSshd, stopAllSshd, type Sshd } from './helpers/sshd.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function remoteSha(client: SshClient, path: string): Promise<string> {
  return (await client.mustExec(shellQuote(['sha256sum', path]))).stdout.split(' ')[0] as string;
}

async function remoteMode(client: SshClient, path: string): Promise<string> {
  return (await client.mustExec(shellQuote(['stat', '-c', '%a', path]))).stdout.trim();
}

let local: string; // local temp dir
let remote: string; // "remote" temp dir (same machine, reached through sshd)

beforeAll(async () => {
  local = await mkdtemp(join(tmpdir(), 'mantle-ssh-local-'));
  remote = await mkdtemp(join(tmpdir(), 'mantle-ssh-remote-'));
});
afterAll(async () => {
  await stopAllSshd();
  await rm(local, { recursive: true, force: true });
  await rm(remote, { recursive: true, force: true });
});

describe('SFTP transfers', () => {
  let client: SshClient;
  beforeAll(async () => {
    client = await connectTo(await startSshd());
  });
  afterAll(async () => {
    await client?.close();
  });

  it('puts and gets a 64 MiB file with equal sha256 both ways and the mode applied', async () => {
    const src = join(local, 'big.bin');
    const data = randomBytes(64 * 1024 * 1024);
    await writeFile(src, data);
    const want = sha256(data);
    const dst = join(remote, 'big.bin');
    const put = await client.putFile(src, dst, { mode: 0o640 });
    expect(put.bytes).toBe(data.length);
    expect(await remoteSha(client, dst)).toBe(want);
    expect(await remoteMode(client, dst)).toBe('640');
    const back = join(local, 'big.back');
    const got = await client.getFile(dst, back);
    expect(got.bytes).toBe(data.length);
    expect(await sha256File(back)).toBe(want);
    expect((await stat(back)).mode & 0o777).toBe(0o640);
  });

  it('puts bytes and streams, replacing an existing (even running) file atomically', async () => {
    const dst = join(remote, 'tool');
    await client.putFile(Buffer.from('#!/bin/sh\necho one\n'), dst, { mode: 0o755 });
    expect((await client.exec(dst)).stdout).toBe('one\n');
    // replacing a binary while it runs works because we rename over it (no ETXTBSY)
    const running = client.exec(`${shellQuote([dst])}; sleep 1`);
    await client.putFile(Readable.from([Buffer.from('#!/bin/sh\n'), Buffer.from('echo two\n')]), dst, {
      mode: 0o700,
    });
    await running;
    expect((await client.exec(dst)).stdout).toBe('two\n');
    expect(await remoteMode(client, dst)).toBe('700');
    // no temp files left behind
    const ls = await client.mustExec(shellQuote(['ls', '-A', remote]));
    expect(ls.stdout.split('\n').filter((n) => n.includes('mantle-'))).toEqual([]);
  });

  it('names the path when a transfer fails', async () => {
    const err = await rejection(client.putFile(Buffer.from('x'), join(remote, 'no/such/dir/file')));
    expect(err.code).toBe('SSH_TRANSFER_FAILED');
    expect(err.message).toContain(join(remote, 'no/such/dir/file'));
    const err2 = await rejection(client.getFile(join(remote, 'missing'), join(local, 'missing')));
    expect(err2.code).toBe('SSH_TRANSFER_FAILED');
    expect(err2.message).toContain('missing');
    await expect(stat(join(local, 'missing'))).rejects.toThrow();
  });
});

describe('installFile over exec (no SFTP)', () => {
  let sshd: Sshd;
  let client: SshClient;
  let bbClient: SshClient;
  beforeAll(async () => {
    sshd = await startSshd({ sftp: false });
    client = await connectTo(sshd);
    // a "busybox host": only busybox applets on PATH, and busybox here has no `install`
    const bin = join(local, 'busybox-bin');
    await mkdir(bin);
    for (const applet of ['sh', 'cat', 'chmod', 'mv', 'rm', 'head', 'sha256sum', 'stat', 'ls'])
      await symlink('/bin/busybox', join(bin, applet));
    bbClient = await connectTo(await startSshd({ sftp: false, sessionPath: bin }));
  });
  afterAll(async () => {
    await client?.close();
    await bbClient?.close();
  });

  it('explains that SFTP is missing', async () => {
    const err = await rejection(client.putFile(Buffer.from('x'), join(remote, 'nosftp')));
    expect(err.code).toBe('SSH_CHANNEL_FAILED');
    expect(err.hint).toContain('installFile');
  });

  it('writes with GNU install (auto-detected) and with cat, modes applied', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const a = join(remote, 'via-install');
    expect((await client.installFile(data, a, 0o751)).bytes).toBe(data.length);
    expect(await remoteSha(client, a)).toBe(sha256(data));
    expect(await remoteMode(client, a)).toBe('751');
    const b = join(remote, 'via-cat');
    const src = join(local, 'src.bin');
    await writeFile(src, data);
    await client.installFile(src, b, 0o600, { method: 'cat' });
    expect(await remoteSha(client, b)).toBe(sha256(data));
    expect(await remoteMode(client, b)).toBe('600');
    const err = await rejection(
      client.installFile(Buffer.from('x'), join(remote, 'no/dir/f'), 0o644, { method: 'cat' }),
    );
    expect(err.code).toBe('SSH_TRANSFER_FAILED');
    expect(err.message).toContain(join(remote, 'no/dir/f'));
  });

  it('falls back to cat on a busybox host without install', async () => {
    expect((await bbClient.exec('command -v install || echo none')).stdout.trim()).toBe('none');
    const data = Buffer.from('hello from busybox\n');
    const dst = join(remote, 'bb-file');
    await bbClient.installFile(Readable.from([data]), dst, 0o640);
    expect(await readFile(dst, 'utf8')).toBe(data.toString());
    expect((await stat(dst)).mode & 0o777).toBe(0o640);
    // an explicit `install` on such a host fails with a hint towards 'cat'
    const err = await rejection(
      bbClient.installFile(data, join(remote, 'bb-2'), 0o644, { method: 'install' }),
    );
    expect(err.code).toBe('SSH_TRANSFER_FAILED');
    expect(err.hint).toContain("'cat'");
  });
});

describe('forwardLocal', () => {
  let client: SshClient;
  let echo: Server;
  let echoPort: number;
  beforeAll(async () => {
    client = await connectTo(await startSshd());
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as { port: number }).port;
  });
  afterAll(async () => {
    await client?.close();
    await new Promise((r) => echo.close(r));
  });

  async function roundTrip(port: number, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = createConnection({ host: '127.0.0.1', port }, () => sock.end(text));
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('end', () => resolve(got));
      sock.on('error', reject);
    });
  }

  it('tunnels TCP connections to a service behind the server', async () => {
    const fwd = await client.forwardLocal({ remoteHost: '127.0.0.1', remotePort: echoPort });
    expect(fwd.localPort).toBeGreaterThan(0);
    expect(fwd.localPort).not.toBe(echoPort);
    const replies = await Promise.all(
      Array.from({ length: 5 }, (_, i) => roundTrip(fwd.localPort, `ping ${i}`)),
    );
    expect(replies).toEqual(Array.from({ length: 5 }, (_, i) => `ping ${i}`));
    const big = randomBytes(2 * 1024 * 1024).toString('base64');
    expect(await roundTrip(fwd.localPort, big)).toBe(big);
    await fwd.close();
    await expect(roundTrip(fwd.localPort, 'closed')).rejects.toThrow(/ECONNREFUSED/);
  });
});
