// The built `plume` bin as a shell pipeline runs it.
// Needs: pnpm --filter @mantle/core --filter @mantle/plume build
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runWithClosedPipe } from '@mantle/test-utils/closed-pipe';

const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run pnpm --filter @mantle/plume build`);
});

describe('plume in a pipeline whose reader leaves early (as `| head -c 10`)', () => {
  for (const args of [['--help'], ['--version']]) {
    it(`plume ${args.join(' ')} exits 0 without a stack`, async () => {
      const r = await runWithClosedPipe(bin, args, { bytes: 4 });
      expect(r.head).toHaveLength(4);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }
});
