/** PASS, FAIL or SKIP, as Go's testing and mantle's report.json spell them. */
export type ResultStatus = 'PASS' | 'FAIL' | 'SKIP';

/** Where a top-level test's time went (milliseconds). */
export interface TestTiming {
  /** starting its machines (boot or restore, waiting for a snapshot), without the logins */
  bootMs: number;
  /** the first SSH logins and readiness checks */
  sshMs: number;
  /** getting kolet onto the machines (read-only disk or upload) */
  koletMs: number;
  /** the test body and its checks, without kolet's install */
  bodyMs: number;
  /** journals, consoles, destroying the machines */
  teardownMs: number;
  /** every machine came from a snapshot */
  restored?: boolean;
  /** part of bootMs spent waiting for the snapshot to be made (by this test or another) */
  snapshotMs?: number;
}

/** The outcome of one test or subtest. */
export interface TestResult {
  /** full name; subtests are `parent/child` */
  name: string;
  result: ResultStatus;
  durationMs: number;
  /** log lines of the test (c.log, errors, console findings), newline-joined */
  output: string;
  skipReason?: string;
  /** failed first, passed when rerun (--rerun-failed) */
  flake?: boolean;
  /** how many times the test ran (2 when rerun) */
  attempts?: number;
  /** stopped by an interrupt (SIGINT) while running, or never started because of one */
  interrupted?: boolean;
  /** never started (interrupted or a prerequisite failed first) */
  notRun?: boolean;
  timedOut?: boolean;
  /** top-level tests that started machines: where the time went */
  timing?: TestTiming;
  subtests: TestResult[];
}

/** The mutable state of a running test or subtest; becomes a TestResult when it finishes. */
export class TestNode {
  readonly children: TestNode[] = [];
  readonly output: string[] = [];
  /** parallel subtests still running; the node finishes after them */
  readonly pending: Promise<unknown>[] = [];
  failed = false;
  skipped = false;
  skipReason: string | undefined;
  interrupted = false;
  timedOut = false;
  notRun = false;
  /** failFast: a subtest failed, so no more subtests start */
  stopSubtests = false;
  /** finished: later log/fail calls from a body the harness gave up on are ignored */
  closed = false;
  start = 0;
  end = 0;

  constructor(
    readonly name: string,
    readonly parent: TestNode | undefined,
  ) {}

  /** a child node named `parent/child` */
  child(name: string): TestNode {
    const c = new TestNode(`${this.name}/${name}`, this);
    this.children.push(c);
    return c;
  }

  log(line: string): void {
    if (this.closed) return;
    for (const l of line.split('\n')) this.output.push(l);
  }

  fail(): void {
    if (this.closed) return;
    this.failed = true;
    // Go: a failing subtest fails its parent.
    this.parent?.fail();
  }

  skip(reason: string): void {
    if (this.closed) return;
    this.skipped = true;
    this.skipReason = reason;
    if (reason) this.log(reason);
  }

  get status(): ResultStatus {
    if (this.failed) return 'FAIL';
    if (this.skipped) return 'SKIP';
    return 'PASS';
  }

  toResult(): TestResult {
    const r: TestResult = {
      name: this.name,
      result: this.status,
      durationMs: Math.max(0, this.end - this.start),
      output: this.output.join('\n'),
      subtests: this.children.map((c) => c.toResult()),
    };
    if (this.skipped && this.skipReason !== undefined) r.skipReason = this.skipReason;
    if (this.interrupted) r.interrupted = true;
    if (this.notRun) r.notRun = true;
    if (this.timedOut) r.timedOut = true;
    return r;
  }
}
