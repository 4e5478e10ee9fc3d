import { InputError } from '@mantle/core/errors';
import { KOLA_TEST, isKolaTest, normalizeTest } from './define-test.js';
import { selectTests, type Selection, type SelectionCriteria } from './filter.js';
import type { KolaTest, TestDefinition } from '../types.js';

/** Where a registered test came from when none is given. */
export const BUILT_IN = 'built-in';

/** The set of known tests: built-in ones plus those loaded from `--tests-dir` modules. */
export class Registry {
  readonly #tests = new Map<string, KolaTest>();

  /**
   * Add a test (a definition or a defineTest result). A second test with the same name is an
   * InputError naming both sources, so two modules cannot silently shadow each other.
   */
  register(test: TestDefinition | KolaTest, source?: string): KolaTest {
    const origin = source ?? (isKolaTest(test) ? test.source : BUILT_IN);
    const t = isKolaTest(test) ? withSource(test, origin) : normalizeTest(test, origin);
    const existing = this.#tests.get(t.name);
    if (existing) {
      throw new InputError({
        code: 'DUPLICATE_TEST',
        message: `test ${t.name} is defined twice: in ${existing.source} and in ${t.source}`,
        hint: 'rename one of them; test names must be unique across built-in tests and --tests-dir modules',
        details: { test: t.name, sources: [existing.source, t.source] },
      });
    }
    this.#tests.set(t.name, t);
    return t;
  }

  /** The test with this exact name. */
  get(name: string): KolaTest | undefined {
    return this.#tests.get(name);
  }

  has(name: string): boolean {
    return this.#tests.has(name);
  }

  get size(): number {
    return this.#tests.size;
  }

  /** Every test, sorted by name. */
  list(): KolaTest[] {
    return [...this.#tests.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The tests a run selects (globs, tags, denylist, platform/distro/arch, shard). */
  filter(criteria: SelectionCriteria): Selection {
    return selectTests(this.list(), criteria);
  }
}

function withSource(test: KolaTest, source: string): KolaTest {
  if (test.source === source) return test;
  return Object.freeze({ ...test, [KOLA_TEST]: true, source });
}
