import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@mantle/core/fs';
import { formatSums, parseSums, type SumsEntry } from '@mantle/core/verify';

/** Add or replace `file`'s line in a SHA256SUMS file (created when missing), keeping the other lines; atomic. */
export async function upsertSums(sumsPath: string, file: string, sha256: string): Promise<SumsEntry[]> {
  let entries: SumsEntry[] = [];
  try {
    entries = parseSums(await readFile(sumsPath, 'utf8'), { source: sumsPath });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const next: SumsEntry = { hash: sha256, file, binary: false, algorithm: 'sha256' };
  const i = entries.findIndex((e) => e.file === file);
  if (i >= 0) entries[i] = next;
  else entries.push(next);
  await writeFileAtomic(sumsPath, formatSums(entries));
  return entries;
}
