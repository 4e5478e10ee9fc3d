// Integration: SshClient against a real OpenSSH sshd on 127.0.0.1 (the test runs as root).
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError, shellQuote, type SshClient } from '../src/index.js';
import { rejection } from './helpers/rejection.js';
import { connectTo, startSshd, stopAllSshd, type Sshd } from './helpers/sshd.js';

describe('SshClient.exec against OpenSSH', () => {
  let sshd: Sshd;
  let client: SshClient;

  beforeAll(async () => {
    sshd = await startSshd();
    client = await connectTo(sshd);
  });
  afterAll(async () => {
    await client?.close();
    await stopAllSshd();
  });

  it('returns stdout, stderr and the exit code', async () => {
    const r = await client.exec('echo out; echo err >&2; exit 7');
    expect(r).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 7, signal: undefined });
    expect((await client.exec('true')).exitCode).toBe(0);
    expect(client.hostKeyFingerprint).toBe(sshd.hostKeyFingerprint);
  });

  it('reports a command killed by a signal', async () => {
    const r = await client.exec('kill -TERM $$');
    expect(r.signal).toBe('SIGTERM');
    expect(r.exitCode).toBe(-1);
  });

  it('runs commands built with shellQuote unchanged', async () => {
    const words = ["it's", '$(id)', 'a b', '*'];
    const r = await client.exec(`printf '%s\\n' ${shellQuote(words)}`);
    expect(r.stdout).toBe(words.join('\n') + '\n');
  });

  it('mustExec throws SSH_EXEC_FAILED with the stderr tail', async () => {
    const err = await rejection(client.mustExec('echo first >&2; echo boom >&2; exit 3'));
    expect(err.code).toBe('SSH_EXEC_FAILED');
    expect(err.message).toContain('exited with code 3');
    expect(err.message).toContain('boom');
    expect(err.message).toContain(`${sshd.user}@127.0.0.1:${sshd.port}`);
    expect((await client.mustExec('echo ok')).stdout).toBe('ok\n');
  });

  it('runs 20 commands concurrently over one connection (more than MaxSessions 10)', async () => {
    const accepted = (sshd.log().match(/Accepted publickey/g) ?? []).length;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.exec(`sleep 0.2; echo ${i}; echo e${i} >&2`)),
    );
    results.forEach((r, i) => {
      expect(r.stdout).toBe(`${i}\n`);
      expect(r.stderr).toBe(`e${i}\n`);
      expect(r.exitCode).toBe(0);
    });
    // no new authentication: every channel rode the existing connection
    expect((sshd.log().match(/Accepted publickey/g) ?? []).length).toBe(accepted);
  });

  it('feeds stdin from a string, bytes and a stream', async () => {
    expect((await client.exec('cat', { stdin: 'hello\n' })).stdout).toBe('hello\n');
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x61);
    expect((await client.exec('wc -c', { stdin: big })).stdout.trim()).toBe(String(big.length));
    const stream = Readable.from(['a', 'b', 'c']);
    expect((await client.exec('cat', { stdin: stream })).stdout).toBe('abc');
    // without stdin the command sees EOF at once instead of waiting forever
    expect((await client.exec('cat', { timeoutMs: 5000 })).stdout).toBe('');
  });

  it('streams output to callbacks as it arrives', async () => {
    const seen: { text: string; at: number }[] = [];
    const errs: string[] = [];
    const start = Date.now();
    const r = await client.exec('for i in 1 2 3; do echo $i; echo x$i >&2; sleep 0.3; done', {
      onStdout: (c) => seen.push({ text: c.toString(), at: Date.now() - start }),
      onStderr: (c) => errs.push(c.toString()),
    });
    const done = Date.now() - start;
    expect(seen.map((s) => s.text).join('')).toBe('1\n2\n3\n');
    expect(errs.join('')).toBe('x1\nx2\nx3\n');
    expect(r.stdout).toBe('1\n2\n3\n');
    // the first line arrived well before the command finished
    expect(done - (seen[0]?.at ?? done)).toBeGreaterThan(400);
  });

  it('closes the channel of a command that outlives its timeout (SSH_EXEC_TIMEOUT)', async () => {
    const start = Date.now();
    // short enough that the remote sleep ends on its own: OpenSSH refuses signal requests in root
    // sessions, so as root the command outlives its channel. The timeout leaves a loaded runner
    // time to start the shell and deliver 'started' (a timer that fires first loses the tail).
    const err = await rejection(client.exec('echo started; sleep 5', { timeoutMs: 2000 }));
    expect(err.code).toBe('SSH_EXEC_TIMEOUT');
    expect(err.message).toContain('sleep 5');
    expect(err.message).toContain('2000 ms');
    expect(err.details).toMatchObject({ timeoutMs: 2000, stdoutTail: 'started' });
    expect(Date.now() - start).toBeLessThan(4500);
    // the connection stays usable, and the timed-out channel's session slot is free again
    expect((await client.exec('echo alive')).stdout).toBe('alive\n');
  });

  it('aborts a command with an AbortSignal', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const start = Date.now();
    await expect(client.exec('sleep 3', { signal: ac.signal })).rejects.toBeInstanceOf(InterruptedError);
    expect(Date.now() - start).toBeLessThan(2000);
  });

  it('allocates a pty on request', async () => {
    const r = await client.exec('tty', { pty: true });
    expect(r.stdout.trim()).toMatch(/^\/dev\/pts\/\d+$/);
    expect((await client.exec('tty')).stdout.trim()).toBe('not a tty');
  });

  it('drives an interactive shell through streams and resolves with its exit code', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let output = '';
    stdout.on('data', (d: Buffer) => (output += d.toString()));
    const done = client.shell({ stdin, stdout, stderr: stdout, term: 'dumb' });
    stdin.write('echo hi-$((40+2)); exit 3\n');
    expect(await done).toBe(3);
    expect(output).toContain('hi-42');
  });
});

describe('SshClient against a server with a lower MaxSessions', () => {
  afterAll(async () => {
    await stopAllSshd();
  });

  it('adapts to MaxSessions 3 instead of failing commands', async () => {
    const sshd = await startSshd({ extraConfig: ['MaxSessions 3'] });
    const client = await connectTo(sshd);
    try {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => client.exec(`sleep 0.1; echo ${i}`)),
      );
      expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 12 }, (_, i) => `${i}\n`));
    } finally {
      await client.close();
    }
  });
});

describe('SshClient when the connection goes away', () => {
  afterAll(async () => {
    await stopAllSshd();
  });

  it('rejects a pending command with SSH_CONNECTION_LOST when sshd dies', async () => {
    const sshd = await startSshd();
    const client = await connectTo(sshd);
    const closed = new Promise((resolve) => client.onClose(resolve));
    const pending = client.exec('sleep 30');
    await new Promise((r) => setTimeout(r, 300));
    const start = Date.now();
    expect(await sshd.killSessions()).toBeGreaterThan(0);
    const err = await rejection(pending);
    expect(err.code).toBe('SSH_CONNECTION_LOST');
    expect(err.message).toContain(`127.0.0.1:${sshd.port}`);
    expect(Date.now() - start).toBeLessThan(2000);
    expect(client.isAlive()).toBe(false);
    expect(await closed).toMatchObject({ intentional: false });
    expect((await rejection(client.exec('true'))).code).toBe('SSH_CONNECTION_LOST');
    await client.close();
  });

  it('detects a frozen peer with keepalives', async () => {
    const sshd = await startSshd();
    const client = await connectTo(sshd, { keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
    const pending = client.exec('sleep 30');
    await new Promise((r) => setTimeout(r, 300));
    expect(await sshd.killSessions('SIGSTOP')).toBeGreaterThan(0);
    const start = Date.now();
    try {
      const err = await rejection(pending);
      expect(err.code).toBe('SSH_CONNECTION_LOST');
      expect(err.message).toMatch(/keepalive/i);
      expect(Date.now() - start).toBeLessThan(3000);
    } finally {
      await sshd.killSessions('SIGKILL');
      await client.close();
    }
  });

  it('close() ends the connection cleanly and later calls fail clearly', async () => {
    const sshd = await startSshd();
    const client = await connectTo(sshd);
    const closed = new Promise((resolve) => client.onClose(resolve));
    expect(client.isAlive()).toBe(true);
    await client.close();
    expect(client.isAlive()).toBe(false);
    expect(await closed).toMatchObject({ intentional: true });
    const err = await rejection(client.exec('true'));
    expect(err.code).toBe('SSH_CONNECTION_LOST');
    expect(err.message).toContain('close()');
    await client.close(); // idempotent
  });
});
