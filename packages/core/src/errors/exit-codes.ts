/** The exit codes every mantle binary uses; scripts rely on them, so they never change. */
export const ExitCode = {
  /** everything worked */
  Ok: 0,
  /** the operation failed (tests failed, an upload failed, ...) */
  Failure: 1,
  /** bad usage or invalid input: flags, files, configs */
  Usage: 2,
  /** a prerequisite is missing: a tool, credentials, an image */
  Prerequisite: 3,
  /** interrupted by SIGINT/SIGTERM */
  Interrupted: 130,
  /** stdout was closed while the command was still working (`kola run | head`): stopped, as
   * SIGPIPE stops a Unix tool (128 + 13, what a shell reports for `ls` in that place) */
  ClosedPipe: 141,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
