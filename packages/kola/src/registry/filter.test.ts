import { describe, expect, it } from 'vitest';
import { defineTest } from './define-test.js';
import { describeEmptySelection, parseShard, selectTests } from './filter.js';
import type { TestDefinition } from '../types.js';

const t = (name: string, extra: Partial<TestDefinition> = {}) =>
  defineTest({ name, run: () => {}, ...extra });
const all = [
  t('basic.ssh', { tags: ['smoke', 'tiny'] }),
  t('basic.hostname', { tags: ['tiny'] }),
  t('cluster.lan', { tags: ['network'], clusterSize: 2 }),
  t('cloud.only', { platforms: ['aws', 'gcloud'] }),
  t('not.qemu', { excludePlatforms: ['qemu'] }),
  t('fcos.only', { distros: ['fcos'] }),
  t('arm.only', { architectures: ['aarch64'] }),
];
const names = (sel: ReturnType<typeof selectTests>) => sel.tests.map((x) => x.name);

describe('selectTests', () => {
  it('matches globs (several, default all) and keeps names sorted', () => {
    expect(names(selectTests(all, { globs: ['basic.*'] }))).toEqual(['basic.hostname', 'basic.ssh']);
    expect(names(selectTests(all, { globs: ['basic.ssh', 'cluster.*'] }))).toEqual([
      'basic.ssh',
      'cluster.lan',
    ]);
    expect(selectTests(all, {}).tests).toHaveLength(all.length);
    expect(names(selectTests(all, { globs: ['*.{ssh,lan}'] }))).toEqual(['basic.ssh', 'cluster.lan']);
  });

  it('filters by tags, excluded tags and the denylist', () => {
    expect(names(selectTests(all, { tags: ['tiny'] }))).toEqual(['basic.hostname', 'basic.ssh']);
    expect(names(selectTests(all, { tags: ['tiny', 'network'], excludeTags: ['smoke'] }))).toEqual([
      'basic.hostname',
      'cluster.lan',
    ]);
    expect(names(selectTests(all, { globs: ['basic.*'], denylist: ['*.ssh'] }))).toEqual(['basic.hostname']);
  });

  it('filters by platform, distro and arch (both arch spellings)', () => {
    const sel = selectTests(all, { platform: 'qemu', distro: 'cl', arch: 'x86_64' });
    expect(names(sel)).toEqual(['basic.hostname', 'basic.ssh', 'cluster.lan']);
    expect(sel.excluded).toEqual(
      expect.arrayContaining([
        { name: 'cloud.only', reason: 'platform' },
        { name: 'not.qemu', reason: 'platform' },
        { name: 'fcos.only', reason: 'distro' },
        { name: 'arm.only', reason: 'arch' },
      ]),
    );
    expect(names(selectTests(all, { globs: ['arm.*'], arch: 'arm64' }))).toEqual(['arm.only']);
    expect(names(selectTests(all, { globs: ['cloud.*', 'not.*'], platform: 'aws' }))).toEqual([
      'cloud.only',
      'not.qemu',
    ]);
  });

  it('shards deterministically: the shards partition the selection', () => {
    const many = Array.from({ length: 10 }, (_, i) => t(`s.test${String(i).padStart(2, '0')}`));
    const shards = [1, 2, 3].map((index) =>
      names(selectTests([...many].reverse(), { shard: { index, count: 3 } })),
    );
    expect(shards[0]).toEqual(['s.test00', 's.test03', 's.test06', 's.test09']);
    expect(shards[1]).toEqual(['s.test01', 's.test04', 's.test07']);
    expect(shards.flat().sort()).toEqual(many.map((x) => x.name));
    // same input, same answer
    expect(names(selectTests(many, { shard: { index: 2, count: 3 } }))).toEqual(shards[1]);
  });

  it('parses --shard and explains empty selections', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard('hash:1/2')).toEqual({ index: 1, count: 2 });
    expect(() => parseShard('0/4')).toThrow(/--shard 0\/4: expected i\/n/);
    expect(() => parseShard('5/4')).toThrow(/1 ≤ i ≤ n/);
    expect(() => parseShard('x')).toThrow(/--shard x/);
    const c = { globs: ['nope.*', 'cloud.*'], platform: 'qemu' };
    const msg = describeEmptySelection(selectTests(all, c), c, all.length);
    expect(msg).toBe("no test matched 'nope.*', 'cloud.*' (1 do not run on platform qemu)");
  });
});
