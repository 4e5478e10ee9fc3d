import { describe, expect, it } from 'vitest';
import { backoffDelay, connectWithRetry } from './connect.js';

describe('backoffDelay', () => {
  it('grows from initialMs by factor up to maxMs', () => {
    expect([1, 2, 3, 4, 10].map((a) => backoffDelay(undefined, a))).toEqual([250, 375, 562.5, 843.75, 3000]);
    expect([1, 2, 3].map((a) => backoffDelay({ initialMs: 100, factor: 2, maxMs: 300 }, a))).toEqual([
      100, 200, 300,
    ]);
    expect(backoffDelay((n) => n * 7, 3)).toBe(21);
    expect(backoffDelay(() => -5, 1)).toBe(0);
  });
});

describe('connectWithRetry option checks', () => {
  const base = { host: '127.0.0.1', user: 'core', privateKey: 'unused', hostKeyPolicy: 'insecure' as const };
  it('rejects bad options before touching the network', async () => {
    await expect(connectWithRetry({ ...base, port: 70000 })).rejects.toMatchObject({
      code: 'SSH_BAD_OPTION',
      exitCode: 2,
    });
    await expect(connectWithRetry({ ...base, tries: 0 })).rejects.toThrow(/tries/);
    await expect(connectWithRetry({ ...base, perTryTimeoutMs: 0 })).rejects.toThrow(/perTryTimeoutMs/);
    await expect(connectWithRetry({ ...base, hostKeyPolicy: 'accept-new' })).rejects.toThrow(
      /knownHostsPath/,
    );
    await expect(connectWithRetry({ ...base })).rejects.toMatchObject({ code: 'SSH_KEY_INVALID' });
  });
});
