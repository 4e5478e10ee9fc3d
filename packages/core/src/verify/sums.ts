import { access } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors/mantle-error.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { algorithmOfDigest, hashFile, type HashAlgorithm } from './hash.js';
import { VerifyError, VerifyErrorCode } from './errors.js';

/** One line of a SHA256SUMS/SHA512SUMS file. */
export interface SumsEntry {
  /** lower-case hex digest */
  hash: string;
  /** the file name as written in the SUMS file (relative to the SUMS file's directory) */
  file: string;
  /** `<hex> *<file>` (binary mode) rather than `<hex>  <file>` */
  binary: boolean;
  algorithm: HashAlgorithm;
}

/** The result of checking one entry. */
export interface SumsCheck {
  file: string;
  status: 'ok' | 'mismatch' | 'missing';
  expected: string;
  actual?: string;
}

export interface SumsReport {
  /** true when every checked file is ok */
  ok: boolean;
  results: SumsCheck[];
}

// coreutils: `<hex>  <name>` (text) or `<hex> *<name>` (binary); a leading `\` means the name is escaped.
const GNU_LINE = /^(\\?)([0-9a-fA-F]{64}|[0-9a-fA-F]{128}) ([ *])(.+)$/;
// BSD/`--tag` style: `SHA256 (name) = <hex>`
const TAG_LINE = /^(SHA256|SHA512) \((.+)\) = ([0-9a-fA-F]+)$/;

function unescapeName(name: string): string {
  return name.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

function escapeName(name: string): { name: string; escaped: boolean } {
  if (!/[\\\n\r]/.test(name)) return { name, escaped: false };
  return { name: name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r'), escaped: true };
}

/** Parse SUMS text (coreutils or BSD tag format); a bad line is an InputError naming the source and line. */
export function parseSums(text: string, opts: { source?: string } = {}): SumsEntry[] {
  const source = opts.source ?? 'SUMS';
  const out: SumsEntry[] = [];
  text.split('\n').forEach((raw, idx) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line.startsWith('#')) return;
    const gnu = GNU_LINE.exec(line);
    if (gnu) {
      const hash = (gnu[2] ?? '').toLowerCase();
      const name = gnu[1] ? unescapeName(gnu[4] ?? '') : (gnu[4] ?? '');
      out.push({ hash, file: name, binary: gnu[3] === '*', algorithm: algorithmOfDigest(hash) ?? 'sha256' });
      return;
    }
    const tag = TAG_LINE.exec(line);
    const tagAlgo = tag ? (tag[1] === 'SHA256' ? 'sha256' : 'sha512') : undefined;
    if (tag && tagAlgo && algorithmOfDigest(tag[3] ?? '') === tagAlgo) {
      out.push({ hash: (tag[3] ?? '').toLowerCase(), file: tag[2] ?? '', binary: true, algorithm: tagAlgo });
      return;
    }
    throw new InputError({
      code: 'SUMS_MALFORMED',
      message: `${source}: line ${idx + 1} is not "<sha256 or sha512 hex>  <file>"`,
      hint: 'SUMS files are what `sha256sum FILE... > SHA256SUMS` writes',
      details: { file: source, line: idx + 1 },
    });
  });
  return out;
}

/** SUMS text for entries, one `<hex>  <file>` (or `<hex> *<file>`) line each, as sha256sum writes it. */
export function formatSums(entries: readonly Pick<SumsEntry, 'hash' | 'file' | 'binary'>[]): string {
  return entries
    .map((e) => {
      const { name, escaped } = escapeName(e.file);
      return `${escaped ? '\\' : ''}${e.hash}${e.binary ? ' *' : '  '}${name}\n`;
    })
    .join('');
}

/** Hash files for a SUMS file; names are written relative to `baseDir`. */
export async function computeSums(
  files: readonly string[],
  opts: { baseDir: string; algorithm?: HashAlgorithm },
): Promise<SumsEntry[]> {
  const algorithm = opts.algorithm ?? 'sha256';
  const out: SumsEntry[] = [];
  // Sequential: hashing is I/O bound and parallel reads of big images thrash a disk.
  for (const f of files) {
    const abs = isAbsolute(f) ? f : join(opts.baseDir, f);
    out.push({
      hash: await hashFile(abs, algorithm),
      file: relative(opts.baseDir, abs) || basename(abs),
      binary: false,
      algorithm,
    });
  }
  return out;
}

/** Write a SUMS file for `files` atomically (temp + fsync + rename); names are relative to its directory. */
export async function writeSumsFile(
  sumsPath: string,
  files: readonly string[],
  opts: { algorithm?: HashAlgorithm } = {},
): Promise<SumsEntry[]> {
  const entries = await computeSums(files, {
    baseDir: dirname(sumsPath),
    ...(opts.algorithm ? { algorithm: opts.algorithm } : {}),
  });
  await writeFileAtomic(sumsPath, formatSums(entries));
  return entries;
}

/** Where verifySums reads its list from: a SUMS file, or text plus the directory its names are relative to. */
export type SumsInput = string | { text: string; baseDir: string; source?: string };

/**
 * Check every file a SUMS file lists (names relative to the SUMS file's directory). Each file is
 * reported ok, mismatch or missing; `only` restricts the check to some names.
 */
export async function verifySums(
  input: SumsInput,
  opts: { only?: readonly string[] } = {},
): Promise<SumsReport> {
  const { text, baseDir, source } =
    typeof input === 'string'
      ? { text: await readFile(input, 'utf8'), baseDir: dirname(input), source: input }
      : input;
  let entries = parseSums(text, { source: source ?? 'SUMS' });
  if (opts.only) entries = entries.filter((e) => opts.only?.includes(e.file));
  const results: SumsCheck[] = [];
  for (const e of entries) {
    const abs = isAbsolute(e.file) ? e.file : join(baseDir, e.file);
    try {
      await access(abs);
    } catch {
      results.push({ file: e.file, status: 'missing', expected: e.hash });
      continue;
    }
    const actual = await hashFile(abs, e.algorithm);
    results.push({ file: e.file, status: actual === e.hash ? 'ok' : 'mismatch', expected: e.hash, actual });
  }
  return { ok: results.every((r) => r.status === 'ok'), results };
}

/** Like verifySums, but throws VERIFY_CHECKSUM_MISMATCH naming every bad or missing file. */
export async function assertSums(
  input: SumsInput,
  opts: { only?: readonly string[] } = {},
): Promise<SumsReport> {
  const report = await verifySums(input, opts);
  if (!report.ok) {
    const bad = report.results.filter((r) => r.status !== 'ok');
    throw new VerifyError({
      code: VerifyErrorCode.ChecksumMismatch,
      message: `checksum verification failed: ${bad.map((r) => `${r.file} (${r.status})`).join(', ')}`,
      hint: 'download the listed files again',
      details: { results: bad },
    });
  }
  return report;
}
