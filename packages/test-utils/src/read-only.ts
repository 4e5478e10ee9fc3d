// A directory a bin under test cannot write to. Root ignores permission bits, and CI runs as
// root, so there the directory becomes a read-only bind mount inside a private mount namespace
// of the bin's own (the test's view and every other process's stay writable); for other users
// chmod 0555 is enough.
import { chmod } from 'node:fs/promises';

export interface ReadOnlyDir {
  /** the argv that runs `argv` with the directory read-only */
  wrap: (argv: string[]) => string[];
  /** make the directory writable again (for cleanup) */
  restore: () => Promise<void>;
}

/** Make `dir` read-only for the commands run through `wrap`. */
export async function readOnlyDir(dir: string): Promise<ReadOnlyDir> {
  if (process.getuid?.() === 0) {
    return {
      wrap: (argv) => [
        'unshare',
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
        dir,
        ...argv,
      ],
      restore: () => Promise.resolve(),
    };
  }
  await chmod(dir, 0o555);
  return { wrap: (argv) => argv, restore: () => chmod(dir, 0o755) };
}
