// The built `pilot`, `podman-pilot`, `vm-pilot` and `bwrap-pilot` bins as a shell pipeline runs them.
// Needs: pnpm --filter @mantle/core --filter @mantle/pilot build
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runWithClosedPipe } from '@mantle/test-utils/closed-pipe';

const bins = ['cli', 'podman-pilot', 'vm-pilot', 'bwrap-pilot'].map((b) =>
  fileURLToPath(new URL(`../dist/${b}.js`, import.meta.url)),
);

describe('pilot bins in a pipeline whose reader leaves early (as `| head -c 4`)', () => {
  for (const bin of bins) {
    for (const args of [['--help'], ['--version']]) {
      it(`${bin.replace(/.*\//, '')} ${args.join(' ')} exits 0 without a stack`, async () => {
        if (!existsSync(bin)) throw new Error(`${bin} is missing: run pnpm --filter @mantle/pilot build`);
        const r = await runWithClosedPipe(bin, args, { bytes: 4 });
        expect(r.head).toHaveLength(4);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
      });
    }
  }
});
