// The MantleError a promise rejects with, for tests that go on to check its code, message and hint.
import { expect } from 'vitest';
import { MantleError } from '../../src/index.js';

/** Await `p` and return the MantleError it rejects with; the test fails if it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<MantleError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MantleError);
    return err as MantleError;
  }
  throw new Error('expected a rejection');
}
