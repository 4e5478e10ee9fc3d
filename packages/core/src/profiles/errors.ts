import { InputError, PrerequisiteError } from '../errors/mantle-error.js';

/** Stable codes of the errors profile loading throws. */
export const ProfileErrorCode = {
  /** no credentials of any kind exist for the platform (exit 3) */
  NoCredentials: 'PROFILE_NO_CREDENTIALS',
  /** a file named by a flag or an environment variable does not exist (exit 2) */
  FileNotFound: 'PROFILE_FILE_NOT_FOUND',
  /** a file exists but cannot be read (exit 3) */
  Unreadable: 'PROFILE_FILE_UNREADABLE',
  /** a file is not valid JSON/INI (exit 2) */
  Malformed: 'PROFILE_MALFORMED',
  /** the selected profile is not in the file (exit 2) */
  NotFound: 'PROFILE_NOT_FOUND',
  /** the profile lacks a field or has one of the wrong type (exit 2) */
  Invalid: 'PROFILE_INVALID',
  /** credential environment variables are only partly set (exit 2) */
  EnvIncomplete: 'PROFILE_ENV_INCOMPLETE',
  /** the profile uses a mechanism mantle does not resolve (SSO, credential_process, ...) (exit 2) */
  Unsupported: 'PROFILE_UNSUPPORTED',
} as const;

/** A file is not valid JSON/INI; `where` is e.g. `line 3, column 5`. */
export function malformedError(
  display: string,
  file: string,
  what: string,
  where?: { line: number; column?: number },
): InputError {
  const at = where ? ` at line ${where.line}${where.column ? `, column ${where.column}` : ''}` : '';
  return new InputError({
    code: ProfileErrorCode.Malformed,
    message: `${display}: ${what}${at}`,
    hint: `fix the file's syntax (it is read as credentials)`,
    details: {
      file,
      ...(where ? { line: where.line, ...(where.column ? { column: where.column } : {}) } : {}),
    },
  });
}

/** The selected profile is not in the file. */
export function profileNotFoundError(
  display: string,
  file: string,
  profile: string,
  available: string[],
  flag: string,
): InputError {
  const have = available.length > 0 ? `; it has: ${available.join(', ')}` : '; it has no profiles';
  return new InputError({
    code: ProfileErrorCode.NotFound,
    message: `${display} has no profile "${profile}"${have}`,
    hint:
      available.length > 0
        ? `pass ${flag} with one of: ${available.join(', ')}`
        : `add a "${profile}" entry to ${display}`,
    details: { file, profile, available },
  });
}

/** The profile lacks fields or has fields of the wrong type. */
export function profileInvalidError(
  display: string,
  file: string,
  profile: string,
  problems: string[],
  missing: string[],
): InputError {
  return new InputError({
    code: ProfileErrorCode.Invalid,
    message: `${display}: profile "${profile}" ${problems.join('; ')}`,
    hint: `edit profile "${profile}" in ${display}`,
    details: { file, profile, problems, missing },
  });
}

/** A path given by a flag or an environment variable does not exist. */
export function fileNotFoundError(display: string, file: string, via: string): InputError {
  return new InputError({
    code: ProfileErrorCode.FileNotFound,
    message: `${display} (from ${via}) does not exist`,
    hint: `check ${via}`,
    details: { file, via },
  });
}

/** A credentials file exists but cannot be read. */
export function unreadableError(
  display: string,
  file: string,
  err: NodeJS.ErrnoException,
): PrerequisiteError {
  return new PrerequisiteError({
    code: ProfileErrorCode.Unreadable,
    message: `${display} cannot be read (${err.code ?? 'error'})`,
    hint: 'check the file permissions',
    cause: err,
    details: { file },
  });
}

/** No credentials of any kind exist for the platform. */
export function noCredentialsError(platform: string, checked: string[], hint: string): PrerequisiteError {
  return new PrerequisiteError({
    code: ProfileErrorCode.NoCredentials,
    message: `no ${platform} credentials found (looked at ${checked.join(', ')})`,
    hint,
    details: { platform, checked },
  });
}
