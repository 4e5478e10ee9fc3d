import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '@mantle/core/cli';
import { MantleError } from '@mantle/core/errors';
import { createLogger } from '@mantle/core/log';
import { Registry } from '../registry/registry.js';
import { dryRunCommand, hourlyPrice } from './dry-run.js';
import { parseRunOptions, type RunOptionsInput } from './options.js';
import { formatPlan } from './plan-format.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'kola-dryrun-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

function ctx(): CommandContext {
  const sink = new PassThrough();
  sink.resume();
  return {
    cwd,
    env: { MANTLE_CACHE_DIR: join(cwd, 'no-cache') },
    stdout: sink,
    stderr: sink,
    logger: createLogger({ stream: sink, level: 'warn' }),
    json: false,
    signal: new AbortController().signal,
    setExitCode: () => {},
  };
}

function registry(): Registry {
  const r = new Registry();
  r.register({ name: 'a.one', run: () => {} });
  r.register({ name: 'a.two', run: () => {} });
  r.register({ name: 'a.cluster', clusterSize: 3, run: () => {} });
  return r;
}

const plan = (input: RunOptionsInput) =>
  dryRunCommand(parseRunOptions(input), ctx(), { registry: registry() });

describe('kola run -p aws --dry-run', () => {
  it('plans tests × machines × type and prices it from data/cloud-prices.json; creates nothing', async () => {
    const p = await plan({
      platform: 'aws',
      aws: { type: 'm5.large', region: 'us-east-1', ami: 'ami-0abc12345' },
    });
    expect(p.tests.map((t) => [t.name, t.machines])).toEqual([
      ['a.cluster', 3],
      ['a.one', 1],
      ['a.two', 1],
    ]);
    expect(p.machines).toBe(5);
    // 5 machines × 10 min = 0.833 h × 0.096 USD
    expect(p.instanceHours).toBeCloseTo(0.833, 3);
    expect(p.pricePerHour).toBe(0.096);
    expect(p.estimatedCost).toBeCloseTo(0.08, 3);
    expect(formatPlan(p)).toContain(
      'total: 5 machine(s) × m5.large ≈ 0.833 instance-hours × 0.096 USD/h ≈ 0.08 USD',
    );
    expect(await readdir(cwd)).toEqual([]);
  });

  it('uses earlier durations, a region column, and says when a type has no price', async () => {
    const p = await plan({
      platform: 'aws',
      aws: { type: 'm5.large', region: 'eu-west-1' },
      shard: { index: 1, count: 1, by: 'duration', durationsMs: new Map([['a.one', 120_000]]) },
      rerunFailed: true,
    });
    expect(p.tests.find((t) => t.name === 'a.one')).toMatchObject({ minutes: 5, from: 'report' });
    expect(p.pricePerHour).toBe(hourlyPrice('aws', 'eu-west-1', 'm5.large'));
    expect(p.pricePerHour).toBe(0.107);
    expect(p.estimatedCostMax).toBeCloseTo((p.estimatedCost ?? 0) * 2, 4);
    expect(p.notes.join('\n')).toContain('no --aws-ami given');
    const unknown = await plan({ platform: 'aws', aws: { type: 'x9.odd' } });
    expect(unknown.estimatedCost).toBeUndefined();
    expect(unknown.notes[0]).toContain('has no x9.odd price');
    expect(formatPlan(unknown)).toContain('≈ unknown');
  });

  it('qemu has nothing to plan: exit 2 naming --dry-run', async () => {
    const e = await plan({ platform: 'qemu' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MantleError);
    expect((e as MantleError).exitCode).toBe(2);
    expect((e as MantleError).message).toContain('--dry-run');
  });
});
