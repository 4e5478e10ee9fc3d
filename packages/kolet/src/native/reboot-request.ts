import { rename, writeFile } from 'node:fs/promises';
import { UsageError } from '@mantle/core/errors';
import { REBOOT_REQUEST_FILE_ENV, rebootMarkProblem } from './protocol.js';

/**
 * Record a reboot request for the `kolet run` this process runs under (found through
 * $KOLET_REBOOT_REQUEST_FILE). kolet run reports it when the native function returns.
 * Returns the file written.
 */
export async function writeRebootRequest(
  mark: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const problem = rebootMarkProblem(mark);
  if (problem)
    throw new UsageError({
      code: 'BAD_REBOOT_MARK',
      message: problem,
      hint: 'use a plain word such as after-upgrade',
    });
  const file = env[REBOOT_REQUEST_FILE_ENV];
  if (!file) {
    throw new UsageError({
      code: 'NOT_UNDER_KOLET_RUN',
      message: `kolet reboot-request: $${REBOOT_REQUEST_FILE_ENV} is not set, so this is not running under \`kolet run\``,
      hint: 'call it from a native function (or a program it starts); a native function can also call ctx.rebootRequest(mark)',
    });
  }
  // Atomic: kolet run must never read half a mark.
  await writeFile(`${file}.tmp`, `${mark}\n`);
  await rename(`${file}.tmp`, file);
  return file;
}
