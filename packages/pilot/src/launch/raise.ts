// The launchers' fast path does not load @mantle/core (its index costs more start-up time than a
// flake launch may add); the typed errors are loaded only when one is thrown.

interface RaiseOptions {
  code: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** Throw LaunchInputError (exit 2), LaunchPrerequisiteError (3) or LaunchOperationError (1). */
export async function raise(
  kind: 'input' | 'prerequisite' | 'operation',
  opts: RaiseOptions,
): Promise<never> {
  const errors = await import('../errors.js');
  if (kind === 'input') throw new errors.LaunchInputError(opts);
  if (kind === 'prerequisite') throw new errors.LaunchPrerequisiteError(opts);
  throw new errors.LaunchOperationError(opts);
}

/** Throw UntrustedFileError (exit 2). */
export async function raiseUntrusted(reason: string, path: string): Promise<never> {
  const { UntrustedFileError } = await import('../errors.js');
  throw new UntrustedFileError(reason, path);
}
