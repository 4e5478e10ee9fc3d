/**
 * The contract between kola (on the host) and kolet (on the machine): exit codes, the
 * reboot-request line and the environment variables. kola reads these constants from
 * @mantle/kolet, so both sides change together.
 */

/** What `kolet run` exits with. */
export const KOLET_EXIT = {
  /** the native function returned */
  pass: 0,
  /** it threw: the message is on stderr */
  fail: 1,
  /** bad usage, a missing --module file, or no such test/function (the known ones are listed on stderr) */
  usage: 2,
  /** a prerequisite is missing (e.g. a tool the function needs) */
  prerequisite: 3,
  /** it called ctx.skip(reason) (autopkgtest's and automake's skip code) */
  skip: 77,
  /** it asked for a reboot: reboot the machine and run the function again with the mark */
  reboot: 78,
} as const;

/** stdout's last line when a function asks for a reboot: `KOLET_REBOOT_REQUEST <mark>`. */
export const REBOOT_REQUEST_PREFIX = 'KOLET_REBOOT_REQUEST ';

/** Set for the function (and its children) when it runs again after the reboot it asked for. */
export const REBOOT_MARK_ENV = 'KOLA_REBOOT_MARK';
/** The same mark under autopkgtest's name, so tests ported from autopkgtest work unchanged. */
export const AUTOPKGTEST_REBOOT_MARK_ENV = 'AUTOPKGTEST_REBOOT_MARK';
/** Where `kolet reboot-request` (run by the function's child processes) records its mark. */
export const REBOOT_REQUEST_FILE_ENV = 'KOLET_REBOOT_REQUEST_FILE';

// Marks travel in a shell command line and an environment variable: keep them plain.
const MARK = /^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,199}$/;

/** Why a reboot mark is not acceptable, or undefined when it is. */
export function rebootMarkProblem(mark: string): string | undefined {
  return MARK.test(mark)
    ? undefined
    : `reboot mark ${JSON.stringify(mark)} must be 1-200 characters of A-Z a-z 0-9 . _ : @ + = - (starting with a letter or digit)`;
}

/** How kola should read the result of one `kolet run`. */
export type KoletRunOutcome =
  | { status: 'pass'; stdout: string }
  | { status: 'fail'; stdout: string; message: string }
  | { status: 'skip'; stdout: string; message: string }
  | { status: 'reboot'; stdout: string; mark: string }
  | { status: 'error'; stdout: string; message: string; exitCode: number };

/**
 * Interpret the exit code and output of `kolet run` as kola sees them over SSH. `stdout` is the
 * function's output without the protocol line; `message` is stderr's text.
 */
export function interpretKoletRun(r: { exitCode: number; stdout: string; stderr: string }): KoletRunOutcome {
  const message = r.stderr.trim();
  if (r.exitCode === KOLET_EXIT.reboot) {
    const lines = r.stdout.replace(/\n$/, '').split('\n');
    const last = lines[lines.length - 1] ?? '';
    const mark = last.startsWith(REBOOT_REQUEST_PREFIX)
      ? last.slice(REBOOT_REQUEST_PREFIX.length).trim()
      : '';
    if (mark && !rebootMarkProblem(mark)) {
      const rest = lines.slice(0, -1).join('\n');
      return { status: 'reboot', stdout: rest ? rest + '\n' : '', mark };
    }
    return {
      status: 'error',
      stdout: r.stdout,
      exitCode: r.exitCode,
      message: `kolet exited ${KOLET_EXIT.reboot} without a ${REBOOT_REQUEST_PREFIX.trim()} line`,
    };
  }
  switch (r.exitCode) {
    case KOLET_EXIT.pass:
      return { status: 'pass', stdout: r.stdout };
    case KOLET_EXIT.fail:
      return {
        status: 'fail',
        stdout: r.stdout,
        message: message || 'the native function failed (no message)',
      };
    case KOLET_EXIT.skip:
      return { status: 'skip', stdout: r.stdout, message: message.replace(/^SKIP: /, '') };
    default:
      return {
        status: 'error',
        stdout: r.stdout,
        exitCode: r.exitCode,
        message: message || `kolet exited ${r.exitCode}`,
      };
  }
}
