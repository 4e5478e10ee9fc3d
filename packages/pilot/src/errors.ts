// pilot's errors: a stable code each, the bad input named, the way out in the hint.
import { InputError, OperationError, PrerequisiteError } from '@mantle/core/errors';

/** One problem in a flake or flakes.yml: where, which key, what is wrong. */
export interface FlakeProblem {
  file: string;
  line: number;
  /** dotted key path, e.g. container.runtime.resume */
  key: string;
  message: string;
}

/** `file:line: key: message` */
export function formatProblem(p: FlakeProblem): string {
  return `${p.file}:${p.line}: ${p.key}: ${p.message}`;
}

/** A flake file (or flakes.yml) that cannot be used: syntax, types, missing keys (exit 2). */
export class FlakeFileError extends InputError {
  readonly problems: FlakeProblem[];
  constructor(problems: FlakeProblem[], hint?: string) {
    super({
      code: 'FLAKE_INVALID',
      message:
        problems.length === 1
          ? formatProblem(problems[0]!)
          : `${problems.length} problems:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
      hint: hint ?? 'fix the file named above (flake format: packages/pilot/README.md, man podman-pilot)',
      details: { problems },
    });
    this.problems = problems;
  }
}

/** No flake is registered under the name a launcher was called by (exit 2). */
export class FlakeNotFoundError extends InputError {
  constructor(name: string, looked: string[], launcher: string) {
    super({
      code: 'FLAKE_NOT_FOUND',
      message: `no flake is registered for '${name}': ${looked.join(' and ')} ${looked.length > 1 ? 'do' : 'does'} not exist`,
      hint:
        name === launcher
          ? `${launcher} is started through a symlink that 'pilot ... register --app PATH' creates; call that PATH instead`
          : `register it ('pilot podman register --app .../${name} ...') or remove the dangling symlink`,
      details: { name, looked },
    });
  }
}

/** A flake, its directory or launcher metadata that others could have changed (exit 2). */
export class UntrustedFileError extends InputError {
  constructor(reason: string, path: string) {
    super({
      code: 'FLAKE_UNTRUSTED',
      message: `refusing to launch: ${reason}`,
      hint: `make it owned by root (or you) and writable only by its owner, e.g. chown root: ${path} && chmod go-w ${path}`,
      details: { path },
    });
  }
}

/** A pilot argument (`@NAME`, `%option`) or a flake setting the launcher cannot honour (exit 2). */
export class LaunchInputError extends InputError {}

/** An engine, tool or image the launcher needs is missing (exit 3). */
export class LaunchPrerequisiteError extends PrerequisiteError {}

/** Provisioning or the engine itself failed (exit 1). */
export class LaunchOperationError extends OperationError {}
