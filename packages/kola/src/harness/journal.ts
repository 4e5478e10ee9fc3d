import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Machine } from '../platform/types.js';

/** What collectJournal wrote for one machine. */
export interface JournalFiles {
  /** journal.txt (`journalctl -b --no-pager -o short-monotonic`), when the machine has journalctl */
  text?: string;
  /** journal-raw.txt.gz (`journalctl -b -o export`, gzip'd on the host), only with real journald */
  raw?: string;
  /** why a file was not written */
  skipped?: string;
}

// One round trip tells what the machine has, whatever its image, and brings journal.txt with
// it: no journalctl (console only), a journalctl without journald (a stand-in that prints dmesg,
// as the tiny image has: journal.txt only), or journald itself (its socket exists: journal.txt
// and the raw export). A line `kola-journal: <kind>` says which (anything a login shell printed
// before it is dropped); the journal follows it.
const HEAD = /^kola-journal: (NOJOURNALCTL|JOURNALD|NOJOURNALD)$/m;
const PROBE_AND_TEXT =
  'command -v journalctl >/dev/null 2>&1 || { echo "kola-journal: NOJOURNALCTL"; exit 0; }; ' +
  'if [ -S /run/systemd/journal/socket ]; then echo "kola-journal: JOURNALD"; else echo "kola-journal: NOJOURNALD"; fi; ' +
  'exec journalctl -b --no-pager -o short-monotonic';

/**
 * Save the machine's journal of the current boot beside its console.txt: journal.txt always when
 * journalctl exists, journal-raw.txt.gz (the export format, for `journalctl --file`-style tools)
 * only under real journald. Errors are returned to the caller to log; they never fail a test.
 */
export async function collectJournal(
  machine: Machine,
  opts: { timeoutMs?: number } = {},
): Promise<JournalFiles> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const r = await machine.ssh(PROBE_AND_TEXT, { user: 'root', timeoutMs });
  const head = HEAD.exec(r.stdout);
  if (!head) {
    const why = r.stderr.trim() || `exit code ${r.exitCode}`;
    return { skipped: `could not ask the machine for its journal: ${why}` };
  }
  if (head[1] === 'NOJOURNALCTL') return { skipped: 'no journalctl on the machine' };
  const journald = head[1] === 'JOURNALD';

  const out: JournalFiles = {};
  out.text = join(machine.outputDir, 'journal.txt');
  await writeFile(out.text, r.stdout.slice(head.index + head[0].length + 1));
  if (!journald) {
    out.skipped =
      'no journald on the machine (no /run/systemd/journal/socket): journal-raw.txt.gz not written';
    return out;
  }
  // The export format may hold binary field values: keep the bytes as they came.
  const chunks: Buffer[] = [];
  const raw = await machine.ssh('journalctl -b --no-pager -o export', {
    user: 'root',
    timeoutMs,
    onStdout: (c) => chunks.push(c),
  });
  if (raw.exitCode === 0) {
    out.raw = join(machine.outputDir, 'journal-raw.txt.gz');
    await writeFile(out.raw, gzipSync(Buffer.concat(chunks), { level: 6 }));
  } else {
    out.skipped = `journalctl -o export exited ${raw.exitCode}: ${raw.stderr.trim()}`;
  }
  return out;
}
