// What people expect of every mantle CLI, checked through the real bins (dist/, as on PATH):
// an Examples: section in the --help of every command of every tool (walked from each tool's
// own command list, so a new command without examples fails here), one `--version` /
// `version [--json]` behaviour, and colour for errors only when asked for or on a terminal.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));

interface Bin {
  name: string;
  path: string;
  version: string;
  /** a launcher (podman-pilot, ...): no subcommands, its arguments belong to the app */
  launcher: boolean;
}

const BINS: Bin[] = readdirSync(join(repo, 'packages')).flatMap((pkg) => {
  const manifest = join(repo, 'packages', pkg, 'package.json');
  if (!existsSync(manifest)) return [];
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string; bin?: Record<string, string> };
  return Object.entries(m.bin ?? {}).map(([name, rel]) => ({
    name,
    path: join(repo, 'packages', pkg, rel),
    version: m.version,
    launcher: name.endsWith('-pilot'),
  }));
});
const TOOLS = BINS.filter((b) => !b.launcher);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a bin with stdout and stderr on pipes (never a terminal) and the given extra env. */
function run(bin: Bin, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const base = { ...process.env };
  delete base.FORCE_COLOR;
  delete base.NO_COLOR;
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin.path, ...args],
      { env: { ...base, COLUMNS: '200', ...env }, timeout: 120_000, maxBuffer: 8 << 20 },
      (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The subcommands a help text lists under `Commands:` (`TOOL PATH... NAME ...` lines). */
function subcommands(help: string, prefix: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf('Commands:');
  if (start < 0) return [];
  const names: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break;
    const m = new RegExp(`^  ${prefix} ([a-z][a-z0-9-]*)`).exec(line);
    // completion is yargs' own (it prints a script, it has no --help of its own).
    if (m?.[1] && m[1] !== 'completion') names.push(m[1]);
  }
  return names;
}

/** Every command path of a tool with its --help text, walked breadth-first, a few at a time. */
async function walk(bin: Bin): Promise<Map<string, Result>> {
  const seen = new Map<string, Result>();
  let level: string[][] = [[]];
  while (level.length > 0) {
    // four at a time: a whole level at once (ore has dozens of commands) on a loaded 2-core
    // runner once pushed one node start-up past the time limit (an empty help, a false failure)
    const results: Result[] = [];
    for (let i = 0; i < level.length; i += 4)
      results.push(
        ...(await Promise.all(level.slice(i, i + 4).map((path) => run(bin, [...path, '--help'])))),
      );
    const next: string[][] = [];
    level.forEach((path, i) => {
      const r = results[i] as Result;
      seen.set([bin.name, ...path].join(' '), r);
      next.push(...subcommands(r.stdout, [bin.name, ...path].join(' ')).map((c) => [...path, c]));
    });
    level = next;
  }
  return seen;
}

describe('Examples: in every --help', () => {
  it.each(TOOLS.map((b) => [b.name, b] as const))('%s: every command has examples', async (_n, bin) => {
    const helps = await walk(bin);
    // The walk really went down: every tool has several commands.
    expect(helps.size).toBeGreaterThan(3);
    const missing = [...helps].filter(([, r]) => r.code !== 0 || !/\nExamples:\n {2}\S/.test(r.stdout));
    expect(missing.map(([cmd]) => cmd)).toEqual([]);
    // An example names its own tool ($0 replaced), e.g. `kola run ...`.
    for (const [cmd, r] of helps) {
      const examples = r.stdout.slice(r.stdout.indexOf('\nExamples:\n'));
      expect(examples, cmd).toContain(`  ${bin.name} `);
    }
  });

  it.each(BINS.filter((b) => b.launcher).map((b) => [b.name, b] as const))(
    '%s --help has examples',
    async (_n, bin) => {
      const r = await run(bin, ['--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/\nExamples:\n {2}pilot \S+ register /);
    },
  );
});

describe('one version behaviour', () => {
  it.each(TOOLS.map((b) => [b.name, b] as const))(
    '%s: --version and version print NAME VERSION, version --json an object',
    async (_n, bin) => {
      const [flag, cmd, json] = await Promise.all([
        run(bin, ['--version']),
        run(bin, ['version']),
        run(bin, ['version', '--json']),
      ]);
      const line = new RegExp(`^${bin.name} ${bin.version.replace(/\./g, '\\.')}( build \\S+)?\\n$`);
      expect(flag.code).toBe(0);
      expect(flag.stdout).toMatch(line);
      expect(cmd).toMatchObject({ code: 0, stdout: flag.stdout });
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ name: bin.name, version: bin.version });
    },
  );

  it.each(BINS.filter((b) => b.launcher).map((b) => [b.name, b] as const))(
    '%s --version prints NAME VERSION',
    async (_n, bin) => {
      // Run as its file (bubblewrap-pilot is flake-ctl's name for the same file as bwrap-pilot).
      expect((await run(bin, ['--version'])).stdout).toBe(`${basename(bin.path, '.js')} ${bin.version}\n`);
    },
  );
});

describe('colour only on a terminal, or when FORCE_COLOR asks', () => {
  const ESC = '\u001b[';
  // An unknown command is an error in every tool: `error:` is red when colour is on.
  it.each(TOOLS.map((b) => [b.name, b] as const))('%s: error: through a pipe', async (_n, bin) => {
    const [plain, forced, off, both] = await Promise.all([
      run(bin, ['no-such-command']),
      run(bin, ['no-such-command'], { FORCE_COLOR: '1' }),
      run(bin, ['no-such-command'], { NO_COLOR: '1' }),
      run(bin, ['no-such-command'], { FORCE_COLOR: '0' }),
    ]);
    for (const r of [plain, forced, off, both]) expect(r.code).toBe(2);
    expect(plain.stderr).toMatch(/^error: /);
    expect(plain.stderr).not.toContain(ESC);
    expect(forced.stderr.startsWith(`${ESC}31merror:${ESC}39m `)).toBe(true);
    expect(off.stderr).not.toContain(ESC);
    expect(both.stderr).not.toContain(ESC);
  });

  it('kolet check: passes green and failures red only with FORCE_COLOR, plain in a pipe or with NO_COLOR', async () => {
    const kolet = TOOLS.find((b) => b.name === 'kolet') as Bin;
    const dir = await mkdtemp(join(tmpdir(), 'mantle-colour-'));
    try {
      const spec = join(dir, 'goss.yaml');
      await writeFile(
        spec,
        `file:\n  ${dir}:\n    exists: true\n  ${join(dir, 'missing')}:\n    exists: true\n`,
      );
      const [plain, forced, off] = await Promise.all([
        run(kolet, ['check', spec]),
        run(kolet, ['check', spec], { FORCE_COLOR: '1' }),
        run(kolet, ['check', spec], { NO_COLOR: '1' }),
      ]);
      for (const r of [plain, forced, off]) expect(r.code).toBe(1);
      expect(plain.stdout).toContain('Failed: 1');
      expect(plain.stdout).not.toContain(ESC);
      expect(off.stdout).not.toContain(ESC);
      expect(forced.stdout).toContain(`${ESC}32m`);
      expect(forced.stdout).toContain(`${ESC}31m`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
