import { InputError } from '@mantle/core/errors';
import { silentLogger, type Logger } from '@mantle/core/log';
import type { ObjectStore } from '@mantle/ore/storage';

// The run journal: every step of a pre-release or release is recorded in the state store before it
// starts and after it is done, with what it produced. A rerun skips done steps (their recorded
// results stand in), so a crashed run continues where it stopped (--resume) and a finished one
// changes nothing. Steps themselves are idempotent (skip-if-same uploads, images found by name),
// so a step that was started but not recorded as done is simply run again.

type StepStatus = 'started' | 'done';

interface StepRecord {
  status: StepStatus;
  started: string;
  done?: string;
  /** what the step produced (image ids, URLs), JSON */
  result?: unknown;
}

export interface JournalData {
  command: string;
  channel: string;
  board: string;
  version: string;
  started: string;
  finished?: string;
  /** step ids in the order they first ran */
  order: string[];
  steps: Record<string, StepRecord>;
}

/** The env var that kills plume after its Nth step (fault-injection tests): `N` kills after the
 * step's work and before it is recorded done, `N:recorded` after the record. */
const KILL_AFTER_STEP_ENV = 'PLUME_KILL_AFTER_STEP';

export interface JournalOptions {
  store: ObjectStore;
  key: string;
  command: string;
  channel: string;
  board: string;
  version: string;
  /** continue an unfinished run */
  resume?: boolean;
  /** throw away an unfinished run's journal and start over */
  restart?: boolean;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  now?: () => Date;
}

/** Read a journal (undefined when there is none). */
export async function readJournal(store: ObjectStore, key: string): Promise<JournalData | undefined> {
  if (!(await store.stat(key))) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of await store.get(key)) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as JournalData;
  } catch (err) {
    throw new InputError({
      code: 'PLUME_JOURNAL_INVALID',
      message: `run journal ${store.root}${key} is not valid JSON`,
      hint: 'pass --restart to start the run over (steps are idempotent)',
      cause: err,
    });
  }
}

export class Journal {
  private index = 0;
  private constructor(
    private readonly opts: JournalOptions,
    readonly data: JournalData,
    /** true when every step had been done before this run started */
    readonly alreadyFinished: boolean,
  ) {}

  /** Open the journal of a run: a new one, the unfinished one (with --resume), or a finished one. */
  static async open(opts: JournalOptions): Promise<Journal> {
    const now = (opts.now ?? (() => new Date()))().toISOString();
    let data = opts.restart ? undefined : await readJournal(opts.store, opts.key);
    if (data && !data.finished && !opts.resume)
      throw new InputError({
        code: 'PLUME_RUN_UNFINISHED',
        message: `an earlier ${opts.command} of ${opts.channel}/${opts.board}/${opts.version} did not finish (journal ${opts.store.root}${opts.key}, started ${data.started})`,
        hint: 'pass --resume to continue it, or --restart to run every step again',
        details: { journal: `${opts.store.root}${opts.key}` },
      });
    const finished = data?.finished !== undefined;
    data ??= {
      command: opts.command,
      channel: opts.channel,
      board: opts.board,
      version: opts.version,
      started: now,
      order: [],
      steps: {},
    };
    const j = new Journal(opts, data, finished);
    if (!finished) await j.save();
    return j;
  }

  private log(): Logger {
    return this.opts.logger ?? silentLogger;
  }

  private async save(): Promise<void> {
    await this.opts.store.put(this.opts.key, Buffer.from(JSON.stringify(this.data, null, 2) + '\n'), {
      contentType: 'application/json',
    });
  }

  private stamp(): string {
    return (this.opts.now ?? (() => new Date()))().toISOString();
  }

  /** Run a step unless it is recorded done; its result is recorded (JSON) and returned either way. */
  async step<T>(id: string, what: string, fn: () => Promise<T>): Promise<T> {
    this.index++;
    const rec = this.data.steps[id];
    if (rec?.status === 'done') {
      this.log().debug(`step ${this.index} ${id}: done earlier`);
      return rec.result as T;
    }
    this.log().info(`step ${this.index}: ${what}`);
    if (!this.data.order.includes(id)) this.data.order.push(id);
    this.data.steps[id] = { status: 'started', started: this.stamp() };
    await this.save();
    const result = await fn();
    this.maybeKill(false);
    this.data.steps[id] = {
      status: 'done',
      started: this.data.steps[id].started,
      done: this.stamp(),
      ...(result !== undefined ? { result } : {}),
    };
    await this.save();
    this.maybeKill(true);
    return result;
  }

  /** Record the run as finished (a rerun then changes nothing). */
  async finish(): Promise<void> {
    if (this.data.finished) return;
    this.data.finished = this.stamp();
    await this.save();
  }

  // Fault injection: a real SIGKILL of this process, as a crash or an OOM kill would end it.
  private maybeKill(recorded: boolean): void {
    const spec = (this.opts.env ?? process.env)[KILL_AFTER_STEP_ENV];
    if (!spec) return;
    const [n, when] = spec.split(':');
    if (Number(n) === this.index && (when === 'recorded') === recorded) process.kill(process.pid, 'SIGKILL');
  }
}
