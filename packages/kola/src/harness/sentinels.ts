/**
 * Private control-flow values thrown through a test body, as Go's t.FailNow/t.SkipNow unwind with
 * runtime.Goexit. The harness catches them; a user never sees them as errors.
 */
export class FatalSentinel extends Error {
  constructor() {
    super('kola: test stopped by fatal (this unwinds the test body; do not catch it)');
    this.name = 'FatalSentinel';
  }
}

export class SkipSentinel extends Error {
  constructor() {
    super('kola: test stopped by skip (this unwinds the test body; do not catch it)');
    this.name = 'SkipSentinel';
  }
}

/** True for the harness's own unwinding values. */
export function isSentinel(v: unknown): v is FatalSentinel | SkipSentinel {
  return v instanceof FatalSentinel || v instanceof SkipSentinel;
}
