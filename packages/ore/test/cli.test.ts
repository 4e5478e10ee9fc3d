// The built `ore` bin as a shell pipeline runs it.
// Needs: pnpm --filter @mantle/core --filter @mantle/ore build
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '@mantle/core';
import { runWithClosedPipe } from '@mantle/test-utils/closed-pipe';

const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let dir: string;

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run pnpm --filter @mantle/ore build`);
  dir = await mkdtemp(join(tmpdir(), 'ore-cli-'));
  const made = await run(process.execPath, [bin, 'image', 'create-layout', 'disk.raw'], {
    cwd: dir,
    reject: false,
  });
  expect(made.exitCode, made.stderr).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ore in a pipeline whose reader leaves early (as `| head -c 10`)', () => {
  for (const args of [
    ['image', 'info', 'disk.raw'],
    ['image', 'info', 'disk.raw', '--json'],
    ['profiles', 'list', '--json'],
    ['--help'],
    ['image', '--help'],
  ]) {
    it(`ore ${args.join(' ')} exits 0 without a stack`, async () => {
      const r = await runWithClosedPipe(bin, args, { cwd: dir, env: { ...process.env, HOME: dir } });
      expect(r.head).toHaveLength(10);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }
});

describe('ore aws on Node 20', () => {
  it("does not print the AWS SDK's Node version notice, and still prints errors", async () => {
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')),
    );
    const dry = await run(process.execPath, [bin, 'aws', 'list-regions', '--dry-run'], {
      cwd: dir,
      reject: false,
      env: { ...env, HOME: dir },
    });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('dry run: EC2 DescribeRegions');
    expect(dry.stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
    const bad = await run(
      process.execPath,
      [bin, 'aws', 'list-regions', '--region', 'nowhere-1', '--dry-run'],
      {
        cwd: dir,
        reject: false,
        env: { ...env, HOME: dir },
      },
    );
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('nowhere-1');
  });
});
