// The MantleError a promise rejects with, for tests that go on to check its code, message and hint.
import { rejectionOf } from '@mantle/test-utils/rejection';
import { MantleError } from '../../src/index.js';

/** Await `p` and return the MantleError it rejects with; the test fails if it resolves or rejects with anything else. */
export const rejection = rejectionOf(MantleError);
