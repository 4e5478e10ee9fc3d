// The error a promise rejects with, for tests that go on to check its code, message and hint.
import { expect } from 'vitest';

/**
 * A `rejection(p)` for one error class: await `p` and return the `type` instance it rejects with;
 * the test fails if it resolves or rejects with anything else. The class is passed in (usually
 * core's MantleError) because this package depends on no workspace package.
 */
export function rejectionOf<E extends Error>(
  type: abstract new (...args: never[]) => E,
): (p: Promise<unknown>) => Promise<E> {
  return async (p) => {
    try {
      await p;
    } catch (err) {
      expect(err).toBeInstanceOf(type);
      return err as E;
    }
    throw new Error('expected a rejection');
  };
}
