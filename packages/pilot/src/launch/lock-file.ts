// A lock file for what must happen one launcher at a time (a resume VM's call, starting a kept
// sandbox): created with O_EXCL (never through a symlink) holding the owner's pid.
import { closeSync, constants, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function owner(path: string): number {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return 0;
  }
}

/** Take an O_EXCL lock file holding our pid (waiting while its owner lives; a dead owner's is taken over). */
export async function lockFile(path: string): Promise<() => void> {
  for (;;) {
    try {
      const fd = openSync(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // gone
        }
      };
    } catch {
      const pid = owner(path);
      if (!pid || !existsSync(`/proc/${pid}`)) {
        try {
          unlinkSync(path);
        } catch {
          // someone else took it over
        }
        continue;
      }
      await sleep(50);
    }
  }
}
