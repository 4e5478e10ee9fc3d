import type { ObjectStore } from '@mantle/ore/storage';
import { readJournal, type JournalData } from '../journal/journal.js';
import { journalKey } from '../journal/state.js';
import type { ReleaseId } from '../spec/resolve.js';

export interface CommandStatus {
  state: 'not run' | 'unfinished' | 'finished';
  started?: string;
  finished?: string;
  journal: string;
  steps: { id: string; status: string; done?: string; result?: unknown }[];
}

export interface ReleaseStatus extends ReleaseId {
  preRelease: CommandStatus;
  release: CommandStatus;
}

function summarize(store: ObjectStore, key: string, data: JournalData | undefined): CommandStatus {
  if (!data) return { state: 'not run', journal: `${store.root}${key}`, steps: [] };
  return {
    state: data.finished ? 'finished' : 'unfinished',
    started: data.started,
    ...(data.finished ? { finished: data.finished } : {}),
    journal: `${store.root}${key}`,
    steps: data.order.map((id) => {
      const s = data.steps[id]!;
      return {
        id,
        status: s.status,
        ...(s.done ? { done: s.done } : {}),
        ...(s.result !== undefined ? { result: s.result } : {}),
      };
    }),
  };
}

/** What the journals say was published where for one release. */
export async function releaseStatus(state: ObjectStore, id: ReleaseId): Promise<ReleaseStatus> {
  const pk = journalKey('pre-release', id);
  const rk = journalKey('release', id);
  return {
    ...id,
    preRelease: summarize(state, pk, await readJournal(state, pk)),
    release: summarize(state, rk, await readJournal(state, rk)),
  };
}
