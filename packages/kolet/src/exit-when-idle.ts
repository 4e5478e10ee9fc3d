/**
 * Call once the command is done. kolet is an agent: a native function's leftover timers,
 * sockets or a function still running after `--timeout` must not keep it (and kola's SSH
 * session) alive. The timer is unref'd, so an idle process exits at once, as usual.
 */
export function exitWhenIdle(graceMs = 1000): void {
  setTimeout(() => process.exit(), graceMs).unref();
}
