import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '@mantle/core/cli';
import { createLogger } from '@mantle/core/log';
import { contentType, negotiateFormat, parseListenAddr, serveCommand } from './serve-command.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kolet-serve-'));
  // A counter file that each run of the checks appends to: how many runs the server made.
  await writeFile(
    join(dir, 'goss.yaml'),
    [
      'command:',
      `  "echo x >> ${join(dir, 'runs')}": {exit-status: 0}`,
      'matching:',
      '  {{ .Vars.name }}: {content: 1, matches: {{ .Vars.want }}}',
    ].join('\n'),
  );
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function serve(want: number, cacheMs: number): Promise<{ base: string; stop: () => Promise<void> }> {
  const stderr = new PassThrough();
  stderr.resume();
  const controller = new AbortController();
  const ctx: CommandContext = {
    cwd: dir,
    env: { PATH: process.env.PATH },
    stdout: new PassThrough(),
    stderr,
    logger: createLogger({ stream: stderr, level: 'info' }),
    json: false,
    signal: controller.signal,
    setExitCode: () => undefined,
  };
  let address: AddressInfo | undefined;
  const done = serveCommand(
    {
      spec: 'goss.yaml',
      format: 'rspecish',
      listenAddr: '127.0.0.1:0',
      endpoint: '/healthz',
      cacheMs,
      varsInline: `{"name": "one", "want": ${want}}`,
      onListening: (a) => (address = a),
    },
    ctx,
  );
  for (let i = 0; i < 100 && !address; i++) await new Promise((r) => setTimeout(r, 20));
  if (!address) throw new Error('the server did not listen');
  return {
    base: `http://127.0.0.1:${address.port}`,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

describe('kolet serve (goss serve)', () => {
  it('answers the health endpoint: 200 when the checks pass, the format from Accept, results cached', async () => {
    const s = await serve(1, 60_000);
    try {
      const first = await fetch(`${s.base}/healthz`);
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('application/vnd.goss-rspecish');
      expect(await first.text()).toMatch(
        /^\.\.\n\nTotal Duration: \d\.\d{3}s\nCount: 2, Failed: 0, Skipped: 0\n$/,
      );
      const json = await fetch(`${s.base}/healthz`, { headers: { Accept: 'application/json' } });
      expect(json.headers.get('content-type')).toBe('application/json');
      expect(((await json.json()) as { summary: Record<string, number> }).summary['test-count']).toBe(2);
      const tap = await fetch(`${s.base}/healthz`, { headers: { Accept: 'application/vnd.goss-tap' } });
      expect(tap.headers.get('content-type')).toBe('application/vnd.goss-tap');
      expect((await tap.text()).split('\n')[0]).toBe('1..2');
      // an Accept that names no format gets the server's --format
      const html = await fetch(`${s.base}/healthz`, { headers: { Accept: 'text/html' } });
      expect(html.headers.get('content-type')).toBe('application/vnd.goss-rspecish');
      // three requests, one run: the rest came from the cache
      expect((await readFile(join(dir, 'runs'), 'utf8')).split('\n').filter(Boolean)).toHaveLength(1);
      const metrics = await (await fetch(`${s.base}/metrics`)).text();
      expect(metrics).toContain('goss_tests_outcomes_total{outcome="pass",type="matching"} 1\n');
      expect(metrics).toContain('goss_tests_run_outcomes_total{outcome="pass"} 1\n');
      expect((await fetch(`${s.base}/other`)).status).toBe(404);
    } finally {
      await s.stop();
    }
  });

  it('answers 503 when a check fails; a run waits for the one already going; a stale cache runs again', async () => {
    await writeFile(join(dir, 'runs'), '');
    const s = await serve(2, 300);
    try {
      const [a, b] = await Promise.all([fetch(`${s.base}/healthz`), fetch(`${s.base}/healthz`)]);
      expect([a.status, b.status]).toEqual([503, 503]);
      expect(await a.text()).toContain('Count: 2, Failed: 1, Skipped: 0');
      await b.text();
      expect((await readFile(join(dir, 'runs'), 'utf8')).split('\n').filter(Boolean)).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 400));
      expect((await fetch(`${s.base}/healthz`)).status).toBe(503);
      expect((await readFile(join(dir, 'runs'), 'utf8')).split('\n').filter(Boolean)).toHaveLength(2);
    } finally {
      await s.stop();
    }
  });

  it('reads goss listen addresses and Accept headers as goss does', () => {
    expect(parseListenAddr(':8080')).toEqual({ host: undefined, port: 8080 });
    expect(parseListenAddr('127.0.0.1:9')).toEqual({ host: '127.0.0.1', port: 9 });
    expect(parseListenAddr('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseListenAddr('8080')).toThrow(/expected \[ip\]:port/);
    expect(negotiateFormat(['application/vnd.goss-junit'])).toBe('junit');
    expect(negotiateFormat(['text/json'])).toBe('json');
    expect(negotiateFormat(['application/json', 'text/html'])).toBeUndefined(); // the last one decides, as in goss
    expect(contentType('prometheus')).toBe('text/plain; version=0.0.4');
  });
});
