import { ExitCode } from '../errors/exit-codes.js';
import { MantleError, type MantleErrorOptions } from '../errors/mantle-error.js';

/** Stable codes of verification failures (all exit 1: the data is not what it should be). */
export const VerifyErrorCode = {
  /** the signature does not match the data, or the signing key is expired/revoked */
  BadSignature: 'VERIFY_BAD_SIGNATURE',
  /** the signature was made by a key that is not in the given keyring */
  UnknownKey: 'VERIFY_UNKNOWN_KEY',
  /** a file's checksum differs from the expected one */
  ChecksumMismatch: 'VERIFY_CHECKSUM_MISMATCH',
} as const;

/** Data failed verification (checksum or signature); the message names the file. */
export class VerifyError extends MantleError {
  constructor(opts: Omit<MantleErrorOptions, 'exitCode'>) {
    super({ ...opts, exitCode: ExitCode.Failure });
  }
}
