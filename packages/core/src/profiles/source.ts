import { readFile } from 'node:fs/promises';
import { displayPath, expandPath, homePath, type ProfileEnv } from './paths.js';
import { fileNotFoundError, malformedError, unreadableError } from './errors.js';
import { findJsonSyntaxProblem } from './json-syntax.js';

/** A credentials file and how it was chosen. */
export interface SourceFile {
  /** absolute path */
  path: string;
  /** the path as shown to users (`~/...`) */
  display: string;
  /** how it was chosen: a flag, an environment variable or `default location` */
  via: string;
  /** true when a flag or variable named it (then its absence is an input error, not a missing prerequisite) */
  explicit: boolean;
}

/** Pick a file: the flag's path, else an environment variable's, else the default under the home dir. */
export function chooseFile(
  penv: ProfileEnv,
  choice: { flag?: string | undefined; flagName: string; envVar?: string; defaultParts: string[] },
): SourceFile {
  const fromEnv = choice.envVar ? penv.env[choice.envVar] : undefined;
  if (choice.flag) return sourceFile(penv, expandPath(choice.flag, penv), choice.flagName, true);
  if (choice.envVar && fromEnv) return sourceFile(penv, expandPath(fromEnv, penv), choice.envVar, true);
  return sourceFile(penv, homePath(penv, ...choice.defaultParts), 'default location', false);
}

/** Describe an absolute path as a SourceFile. */
export function sourceFile(penv: ProfileEnv, path: string, via: string, explicit: boolean): SourceFile {
  return { path, display: displayPath(path, penv.homeDir), via, explicit };
}

/** Read a credentials file as text; undefined when it does not exist. BOMs (the Azure CLI writes them) are dropped. */
export async function readSource(src: SourceFile): Promise<string | undefined> {
  try {
    const text = await readFile(src.path, 'utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw unreadableError(src.display, src.path, e);
  }
}

/**
 * Read a chosen credentials file: undefined when a default-location file does not exist, but a
 * file that a flag or environment variable named must exist (its absence is an input error).
 */
export async function readChosenSource(src: SourceFile): Promise<string | undefined> {
  const text = await readSource(src);
  if (text === undefined && src.explicit) throw fileNotFoundError(src.display, src.path, src.via);
  return text;
}

/** Parse JSON credentials; a syntax error names the file, line and column but never quotes the text. */
export function parseJsonSource(src: SourceFile, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const problem = findJsonSyntaxProblem(text);
    if (problem) return throwMalformed(src, `invalid JSON: expected ${problem.reason}`, problem);
    return throwMalformed(src, 'invalid JSON');
  }
}

/** Throw the malformed-file error for a SourceFile. */
export function throwMalformed(
  src: SourceFile,
  what: string,
  where?: { line: number; column: number },
): never {
  throw malformedError(src.display, src.path, what, where);
}
