import { describe, expect, it } from 'vitest';
import { vmNameMatcher } from './inventory.js';

// The dialect itself (Go path.Match) is tested in core's text/glob.test.ts; here, what ore adds.
describe('vmNameMatcher (remove-vms/list-vms --pattern)', () => {
  it('reads the pattern as Go mantle did, and a bad one is ESX_BAD_PATTERN naming --pattern', () => {
    expect(['kola-1', 'xkola-1', 'kola-(a).b'].filter(vmNameMatcher('kola-*'))).toEqual([
      'kola-1',
      'kola-(a).b',
    ]);
    let err: unknown;
    try {
      vmNameMatcher('vm[1');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ESX_BAD_PATTERN', exitCode: 2 });
    expect((err as Error).message).toContain('--pattern "vm[1"');
  });
});
