import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, readdir, type FileHandle } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { basename, join } from 'node:path';
import { InputError } from '@mantle/core/errors';

/**
 * A cloud run's state file: one JSON object per line, appended and fsync'd. The header names
 * the run; an `intent` line is written BEFORE each create, `created` after it with the cloud's
 * id, `deleted` after each delete and `finished` when the run let go of everything. A run
 * killed at any point (SIGKILL included) leaves a record of what may exist: `kola cleanup`
 * reads it, finds the resources by id and by the run's tag, and deletes exactly those.
 */

/** What kind of cloud resource a line is about. */
export type ResourceKind =
  | 'instance'
  | 'security-group'
  | 'key-pair'
  | 'network'
  | 'network-interface'
  | 'public-ip'
  | 'resource-group';

export interface RunHeader {
  type: 'run';
  version: 1;
  runId: string;
  platform: string;
  /** where the run's resources live: region, project, zone, location, profile... */
  scope: Record<string, string>;
  pid: number;
  /** the process's start time in clock ticks since boot (/proc/PID/stat), so a reused pid is told apart */
  pidStart?: string | undefined;
  host: string;
  startedAt: string;
  expiresAt: string;
  outputDir: string;
}

export type JournalLine =
  | RunHeader
  | { type: 'intent'; kind: ResourceKind; name: string; at: string }
  | { type: 'created'; kind: ResourceKind; name: string; id: string; at: string }
  | { type: 'deleted'; kind: ResourceKind; name: string; id: string; at: string }
  | { type: 'finished'; at: string };

/** A resource of a run as the journal tells it. */
export interface JournalResource {
  kind: ResourceKind;
  name: string;
  /** the cloud's id, when the create returned before the run stopped */
  id: string | undefined;
  state: 'intended' | 'created' | 'deleted';
}

export interface RunState {
  path: string;
  header: RunHeader;
  resources: JournalResource[];
  finished: boolean;
}

/** `${KOLA_STATE_DIR}`, else `${XDG_STATE_HOME:-~/.local/state}/mantle/kola`: where run files live. */
export function kolaStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KOLA_STATE_DIR) return env.KOLA_STATE_DIR;
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'mantle', 'kola');
}

/** The runs directory inside the state dir. */
export function runsDir(stateDir: string): string {
  return join(stateDir, 'runs');
}

/**
 * The run's private directory beside its state file (`<run>.ssh`, 0700): the flight's SSH key
 * lives there, not in /tmp, so a killed run's key is found and removed by `kola cleanup RUN`.
 */
export function runKeyDir(statePath: string): string {
  return statePath.replace(/\.jsonl$/, '') + '.ssh';
}

/**
 * A new run id: `kola-<yyyymmdd>-<hhmm>-<6 hex>`, lowercase letters, digits and dashes only, so
 * it is a valid tag, label and resource-name part on every cloud.
 */
export function newRunId(now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const d = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  return `kola-${d}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}-${randomBytes(3).toString('hex')}`;
}

const RUN_ID = /^kola-\d{8}-\d{4}-[0-9a-f]{6}$/;

/** True for what newRunId makes. */
export function isRunId(text: string): boolean {
  return RUN_ID.test(text);
}

/** The append-only writer of one run's state file. */
export class RunJournal {
  private chain: Promise<void> = Promise.resolve();
  /** where the next line goes (positional writes: a reopened file is not in append mode) */
  private offset = 0;

  private constructor(
    readonly path: string,
    readonly header: RunHeader,
    private readonly fh: FileHandle,
  ) {}

  /** Create the state file with its header (fails if the run id is taken). */
  static async create(
    stateDir: string,
    header: Omit<RunHeader, 'type' | 'version' | 'pid' | 'pidStart' | 'host'>,
  ): Promise<RunJournal> {
    const dir = runsDir(stateDir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const full: RunHeader = {
      type: 'run',
      version: 1,
      ...header,
      pid: process.pid,
      pidStart: procStartTime(process.pid),
      host: hostname(),
    };
    const path = join(dir, `${full.runId}.jsonl`);
    const fh = await open(path, 'wx', 0o600);
    const j = new RunJournal(path, full, fh);
    await j.append(full);
    return j;
  }

  /** Append to an existing run's state file (`kola cleanup` records what it deleted). */
  static async reopen(path: string, header: RunHeader): Promise<RunJournal> {
    const fh = await open(path, 'r+');
    // A run killed mid-write left a torn last line: cut it off so appended lines stay whole.
    const text = (await fh.readFile()).toString('utf8');
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) await fh.truncate(end);
    const j = new RunJournal(path, header, fh);
    j.offset = end;
    return j;
  }

  private append(line: JournalLine): Promise<void> {
    const next = this.chain.then(async () => {
      const buf = Buffer.from(JSON.stringify(line) + '\n', 'utf8');
      await this.fh.write(buf, 0, buf.length, this.offset);
      this.offset += buf.length;
      await this.fh.sync();
    });
    // a failed write fails its caller; later writes still get their turn
    this.chain = next.catch(() => undefined);
    return next;
  }

  intent(kind: ResourceKind, name: string): Promise<void> {
    return this.append({ type: 'intent', kind, name, at: new Date().toISOString() });
  }

  created(kind: ResourceKind, name: string, id: string): Promise<void> {
    return this.append({ type: 'created', kind, name, id, at: new Date().toISOString() });
  }

  deleted(kind: ResourceKind, name: string, id: string): Promise<void> {
    return this.append({ type: 'deleted', kind, name, id, at: new Date().toISOString() });
  }

  /** Record the intent, create, record the id: a kill between the two leaves the intent. */
  async track(kind: ResourceKind, name: string, create: () => Promise<string>): Promise<string> {
    await this.intent(kind, name);
    const id = await create();
    await this.created(kind, name, id);
    return id;
  }

  /** The run let go of everything it made. */
  async finish(): Promise<void> {
    await this.append({ type: 'finished', at: new Date().toISOString() });
  }

  async close(): Promise<void> {
    await this.chain;
    await this.fh.close();
  }
}

/** Fold a journal's lines into what exists (a name's last line wins). */
function foldJournal(lines: readonly JournalLine[]): Omit<RunState, 'path' | 'header'> {
  const byKey = new Map<string, JournalResource>();
  let finished = false;
  for (const l of lines) {
    if (l.type === 'finished') finished = true;
    if (l.type !== 'intent' && l.type !== 'created' && l.type !== 'deleted') continue;
    const key = `${l.kind}\0${l.name}`;
    const prev = byKey.get(key);
    byKey.set(key, {
      kind: l.kind,
      name: l.name,
      id: l.type === 'intent' ? prev?.id : l.id,
      state: l.type === 'intent' ? 'intended' : l.type,
    });
  }
  return { resources: [...byKey.values()], finished };
}

/**
 * Read a run's state file. A file that is not one, is cut short in its header, or whose header
 * names another run than `expectRunId` (a copied or renamed file) is exit 2 naming the file; a
 * torn last line (the run was killed mid-write) is ignored.
 */
export async function readRunState(path: string, expectRunId?: string): Promise<RunState> {
  const bad = (why: string): InputError =>
    new InputError({
      code: 'KOLA_BAD_STATE_FILE',
      message: `${path}: ${why}`,
      hint: 'pass a run id from `kola cleanup --list`, or the path of a run file kola wrote',
      details: { file: path },
    });
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError({
      code: 'KOLA_RUN_NOT_FOUND',
      message: `no state file ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      hint: 'list the runs with `kola cleanup --list`; the state dir is $KOLA_STATE_DIR or ~/.local/state/mantle/kola',
      details: { file: path },
    });
  }
  const raw = text.split('\n');
  const lines: JournalLine[] = [];
  raw.forEach((l, i) => {
    if (l.trim() === '') return;
    try {
      lines.push(JSON.parse(l) as JournalLine);
    } catch {
      // only the last line can be torn by a kill; anything else is not kola's file
      if (i < raw.length - 2) throw bad(`line ${i + 1} is not JSON`);
    }
  });
  const header = lines[0];
  if (!header || header.type !== 'run' || header.version !== 1 || typeof header.runId !== 'string')
    throw bad('not a kola run state file (its first line is not a version 1 run header)');
  if (!isRunId(header.runId)) throw bad(`its run id ${JSON.stringify(header.runId)} is not one kola makes`);
  const named = basename(path).replace(/\.jsonl$/, '');
  if (expectRunId !== undefined && header.runId !== expectRunId)
    throw bad(`the file belongs to run ${header.runId}, not to run ${expectRunId}`);
  if (isRunId(named) && named !== header.runId)
    throw bad(`the file is named for run ${named} but belongs to run ${header.runId} (copied or renamed?)`);
  return { path, header, ...foldJournal(lines.slice(1)) };
}

/** Every run file in the state dir, oldest first (unreadable ones are returned as errors). */
export async function listRunStates(
  stateDir: string,
): Promise<(RunState | { path: string; error: Error })[]> {
  const dir = runsDir(stateDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: (RunState | { path: string; error: Error })[] = [];
  for (const n of names.filter((x) => x.endsWith('.jsonl')).sort()) {
    const path = join(dir, n);
    out.push(await readRunState(path).catch((error: Error) => ({ path, error })));
  }
  return out;
}

/** Whether the run's kola still runs (same host and a live pid); another host's run counts as live. */
export function runIsLive(h: RunHeader): boolean {
  if (h.host !== hostname()) return true;
  if (h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // the pid is taken: by the run's kola, or by a later process that got the number again
  const start = procStartTime(h.pid);
  return h.pidStart === undefined || start === undefined || start === h.pidStart;
}

/** Field 22 of /proc/PID/stat (start time in ticks since boot); undefined off Linux. */
function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count after its end
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
