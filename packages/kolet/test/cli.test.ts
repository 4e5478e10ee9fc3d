// The built `kolet` (node dist/cli.js) as a shell pipeline runs it: a reader that leaves early
// ends kolet quietly, whether kolet was printing its data or still working.
// Needs: pnpm --filter @mantle/core --filter @mantle/kolet build
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithClosedPipe } from '@mantle/test-utils/closed-pipe';

const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let dir: string;

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run pnpm --filter @mantle/kolet build`);
  dir = await mkdtemp(join(tmpdir(), 'kolet-cli-'));
  // 6000 functions (a listing far larger than a pipe holds), and one that streams lines until
  // it is stopped.
  await writeFile(
    join(dir, 'mod.mjs'),
    `export function register(registry) {
       for (let i = 0; i < 6000; i++) registry.registerNative('many.t' + i, 'f', () => 'ok');
       registry.registerNative('pipe', 'stream', async (ctx) => {
         for (let i = 0; !ctx.signal.aborted; i++) {
           process.stdout.write('line ' + i + ' ' + 'x'.repeat(200) + '\\n');
           await new Promise((r) => setTimeout(r, 5));
         }
         throw new Error('stopped: ' + String(ctx.signal.reason && ctx.signal.reason.message));
       });
     }`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kolet in a pipeline whose reader leaves early', () => {
  for (const args of [['list', '-m', 'mod.mjs'], ['list', '-m', 'mod.mjs', '--json'], ['--help']]) {
    it(`kolet ${args.join(' ')} exits 0 without a stack`, async () => {
      const r = await runWithClosedPipe(bin, args, { cwd: dir });
      expect(r.head).toHaveLength(10);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }

  it('a native function still writing is stopped, quietly, with the exit code of `ls` killed by SIGPIPE (141)', async () => {
    const r = await runWithClosedPipe(bin, ['run', 'pipe', 'stream', '-m', 'mod.mjs'], {
      cwd: dir,
      bytes: 20,
    });
    expect(r.head).toBe('line 0 xxxxxxxxxxxxx');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(141);
  });
});
