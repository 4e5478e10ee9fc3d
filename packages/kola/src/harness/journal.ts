import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Machine } from '../platform/types.js';
import { parseOsRelease } from '@mantle/core/image';

/** What collectJournal wrote for one machine. */
export interface JournalFiles {
  /** journal.txt (`journalctl -b --no-pager -o short-monotonic`), when the machine has journalctl */
  text?: string;
  /** journal-raw.txt.gz (`journalctl -b -o export`, gzip'd on the host), only with real journald */
  raw?: string;
  /** why a file was not written */
  skipped?: string;
}

// One round trip tells whether there is a journal and whether it is journald's: the tiny image
// has a journalctl stand-in (it prints dmesg) and no /run/systemd/system.
const PROBE =
  'command -v journalctl >/dev/null 2>&1 || { echo NOJOURNALCTL; exit 0; }; ' +
  '[ -d /run/systemd/system ] && echo SYSTEMD; cat /usr/lib/os-release 2>/dev/null || cat /etc/os-release 2>/dev/null; exit 0';

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
  const probe = await machine.ssh(PROBE, { user: 'root', timeoutMs });
  if (probe.stdout.includes('NOJOURNALCTL')) return { skipped: 'no journalctl on the machine' };
  // The probe prints SYSTEMD under systemd, then os-release.
  const lines = probe.stdout.split('\n');
  const osRelease = lines.filter((l) => l !== 'SYSTEMD').join('\n');
  const osId = parseOsRelease(osRelease, `${machine.id}:/usr/lib/os-release`).ID;
  const journald = lines.includes('SYSTEMD') && osId !== 'mantle-tiny';

  const out: JournalFiles = {};
  const text = await machine.ssh('journalctl -b --no-pager -o short-monotonic', { user: 'root', timeoutMs });
  out.text = join(machine.outputDir, 'journal.txt');
  await writeFile(out.text, text.stdout);
  if (!journald) {
    out.skipped = `no journald (${osId ?? 'unknown OS'}): journal-raw.txt.gz not written`;
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
