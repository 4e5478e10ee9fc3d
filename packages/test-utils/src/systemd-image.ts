// The project's systemd test image and the built kola bin, for integration tests of kola and bakery
// that boot it (not a test file itself).
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
/** The built kola bin the tests run, as users do. */
export const kolaBin = join(repo, 'packages/kola/dist/cli.js');

function cacheDir(): string {
  if (process.env.MANTLE_CACHE_DIR) return resolve(process.env.MANTLE_CACHE_DIR);
  return join(resolve(process.env.XDG_CACHE_HOME || join(process.env.HOME || homedir(), '.cache')), 'mantle');
}

/** The systemd image's directory, building it (cached; needs root) when it is missing. */
export async function ensureSystemdImage(): Promise<string> {
  const dir = join(cacheDir(), 'images', 'systemd-latest');
  if (!existsSync(join(dir, 'manifest.json'))) {
    await promisify(execFile)(join(repo, 'images/systemd/build.sh'), [], {
      maxBuffer: 64 << 20,
      timeout: 1_200_000,
    });
  }
  return dir;
}

/** Make sure the kola bin is built and kolet carries the systemd tests' native functions. */
export async function ensureBuilt(): Promise<void> {
  if (!existsSync(kolaBin)) throw new Error(`${kolaBin} is missing: run pnpm build`);
  // kola's build makes the kolet executable with kola's built-in tests in packages/kola/dist/kolet/.
  const manifest = join(repo, 'packages/kola/dist/kolet/kolet.json');
  const bundled = existsSync(manifest)
    ? ((JSON.parse(await readFile(manifest, 'utf8')) as { bundledTests?: string[] }).bundledTests ?? [])
    : [];
  if (!bundled.includes('systemd.kolet')) {
    await promisify(execFile)('pnpm', ['--filter', '@mantle/kola', 'build'], {
      cwd: repo,
      maxBuffer: 64 << 20,
      timeout: 600_000,
    });
  }
}

export interface KolaResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built kola bin to its end (asynchronously, so other test files keep going). */
export function kola(
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<KolaResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [kolaBin, ...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // SIGINT lets kola tear its machines down; the test then fails on the exit code.
    const timer = setTimeout(() => child.kill('SIGINT'), opts.timeoutMs ?? 900_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/**
 * What to print when a kola run's exit code surprises a test: stderr (kola's logs) plus the stdout
 * lines that say why (FAIL lines and what follows them), since kola reports a failing test on
 * stdout and a bare "exit 1" in a CI log tells nobody which check failed.
 */
export function kolaFailure(r: KolaResult): string {
  const lines = r.stdout.split('\n');
  const keep = new Set<number>();
  lines.forEach((line, i) => {
    if (/FAIL|error|timed out|not ready/i.test(line))
      for (let j = i; j < Math.min(i + 6, lines.length); j++) keep.add(j);
  });
  const why = [...keep].sort((a, b) => a - b).map((i) => lines[i]);
  return `${r.stderr}\n--- stdout lines that say why (${why.length} of ${lines.length}) ---\n${why.join('\n').slice(-8000)}`;
}

/** report.json as kola writes it. */
export interface Report {
  tests: { name: string; result: string; output: string; skipReason?: string }[];
  result: string;
  platform: string;
  version: string;
}

export const readReport = async (dir: string): Promise<Report> =>
  JSON.parse(await readFile(join(dir, 'reports', 'report.json'), 'utf8')) as Report;
