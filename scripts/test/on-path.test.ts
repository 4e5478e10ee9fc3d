// The tools on PATH, as users get them: (1) setup.sh's link step (scripts/link-bins.mjs) puts every
// bin of this checkout on PATH, and each runs from another directory in a clean environment, taking
// relative paths from there; (2) `npm install -g` of packed tarballs (kolet plus core, from the real
// npm registry for their dependencies) into a temp prefix gives a working `kolet` on PATH.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
/** Every bin the packages declare (kola, kolet, ore, plume, bakery, pilot and its launchers). */
const TOOLS = readdirSync(join(repo, 'packages')).flatMap((pkg) => {
  const manifest = join(repo, 'packages', pkg, 'package.json');
  if (!existsSync(manifest)) return [];
  return Object.keys((JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: object }).bin ?? {});
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a bash script with only `bin`, node's directory and the system directories on PATH and HOME
 * set to the cwd, as a new shell of a new user would. `packaging` keeps the caller's environment
 * (HOME with npm's cache and config, the CA certificates the registry is reached with).
 */
function sh(script: string, bin: string, cwd: string, timeout = 120_000, packaging = false): Promise<Result> {
  const PATH = [bin, dirname(process.execPath), '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');
  return new Promise((done) => {
    execFile(
      'bash',
      ['-c', script],
      { cwd, timeout, maxBuffer: 16 << 20, env: packaging ? { ...process.env, PATH } : { HOME: cwd, PATH } },
      (err, stdout, stderr) =>
        done({
          code: err ? Number(err.code ?? 1) : 0,
          stdout,
          stderr: `${stderr}${err?.killed ? '\n(timed out)' : ''}`,
        }),
    );
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mantle-on-path-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('setup: every tool of the checkout on PATH', () => {
  let bin: string;
  let cwd: string;
  beforeAll(async () => {
    bin = join(dir, 'bin');
    cwd = join(dir, 'elsewhere', 'deeper');
    await mkdir(cwd, { recursive: true });
    const r = await sh(
      `node ${JSON.stringify(join(repo, 'scripts/link-bins.mjs'))} --bin-dir "${bin}"`,
      bin,
      cwd,
    );
    expect(r.code, r.stderr).toBe(0);
  });

  it('links every tool and each answers --help and --version from another directory', async () => {
    expect((await readdir(bin)).sort()).toEqual([...TOOLS].sort());
    for (const tool of TOOLS) {
      const r = await sh(`${tool} --help && ${tool} --version`, bin, cwd);
      expect(r.code, `${tool}: ${r.stderr}`).toBe(0);
      expect(r.stdout.startsWith(`${tool} — `), tool).toBe(true);
      // `--version` prints `NAME VERSION` in every tool (kolet adds its build ID).
      expect(r.stdout, tool).toMatch(new RegExp(`^${tool} \\d+\\.\\d+\\.\\d+`, 'm'));
    }
  });

  it('prints clean JSON through a pipe and stops quietly when the reader goes', async () => {
    const full = await sh('kola list --json | cat', bin, cwd);
    expect(full.code, full.stderr).toBe(0);
    expect((JSON.parse(full.stdout) as unknown[]).length).toBeGreaterThan(0);
    const head = await sh('kola list --json | head -1; echo "status=${PIPESTATUS[0]}" >&2', bin, cwd);
    expect(head.stdout).toBe('[\n');
    expect(head.stderr).toMatch(/^status=(0|141)\n$/);
  });

  it('takes relative paths from the caller’s directory', async () => {
    await writeFile(join(dir, 'elsewhere', 'not-an-image'), 'just text\n');
    const r = await sh('ore image info ../not-an-image; ore image info ./missing', bin, cwd);
    expect(r.stderr).toContain(`${cwd}`);
    expect(r.stderr).not.toContain(repo);
    const ok = await sh(
      `printf 'file:\\n  /etc/hostname:\\n    exists: true\\n' > spec.yaml && kolet check ./spec.yaml`,
      bin,
      cwd,
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Failed: 0');
  });

  it('completes commands and flags in bash for every tool (`<tool> completion`)', async () => {
    // what bash does on TAB: COMP_WORDS/COMP_CWORD set, the tool's function fills COMPREPLY
    const complete = (tool: string, ...words: string[]) =>
      sh(
        `source <(${tool} completion) && COMP_WORDS=(${[tool, ...words].map((w) => `'${w}'`).join(' ')}) && ` +
          `COMP_CWORD=${words.length} && _${tool}_yargs_completions && printf '%s\\n' "\${COMPREPLY[@]}"`,
        bin,
        cwd,
      );
    // the *-pilot launchers hand every argument to the flake they launch: nothing to complete
    for (const tool of TOOLS.filter((t) => !t.endsWith('-pilot'))) {
      const r = await complete(tool, '--h');
      expect(r.code, `${tool}: ${r.stderr}`).toBe(0);
      expect(r.stdout.split('\n'), tool).toContain('--help');
    }
    const sub = await complete('ore', 'image', 'cr');
    expect(sub.stdout).toBe('create-layout\n');
    const flag = await complete('kola', 'run', '--qemu-ima');
    expect(flag.stdout).toBe('--qemu-image\n');
    const zsh = await sh('SHELL=/bin/zsh bakery completion | head -1', bin, cwd);
    expect(zsh.stdout).toBe('#compdef bakery\n');
  });

  it('leaves a file that is not its symlink alone and says so', async () => {
    const other = join(dir, 'other-bin');
    await mkdir(other);
    await writeFile(join(other, 'kola'), '#!/bin/sh\necho the other kola\n', { mode: 0o755 });
    const r = await sh(
      `node ${JSON.stringify(join(repo, 'scripts/link-bins.mjs'))} --bin-dir ${other}`,
      bin,
      cwd,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`left ${join(other, 'kola')} alone (not a symlink)`);
    expect(await readFile(join(other, 'kola'), 'utf8')).toContain('the other kola');
  });
});

describe('npm install -g of the packed kolet (plus core) into a temp prefix', () => {
  it('installs, and kolet runs from PATH: --help, version --json and list --json through a pipe', async () => {
    const packs = join(dir, 'packs');
    // pnpm and npm from node's directory
    const bin0 = dirname(process.execPath);
    const prefix = join(dir, 'prefix');
    for (const pkg of ['core', 'kolet']) {
      const r = await sh(
        `pnpm pack --pack-destination "${packs}"`,
        bin0,
        join(repo, 'packages', pkg),
        300_000,
        true,
      );
      expect(r.code, r.stderr).toBe(0);
    }
    const tarballs = (await readdir(packs)).map((f) => join(packs, f));
    expect(tarballs.map((f) => f.replace(/.*\//, '')).sort()).toEqual([
      expect.stringMatching(/^mantle-core-.*\.tgz$/),
      expect.stringMatching(/^mantle-kolet-.*\.tgz$/),
    ]);
    // Without install scripts: core and kolet have none (checked here), so that skips only
    // ssh2's optional native builds (node-gyp compiles, tens of CPU-seconds), which a failure
    // of never fails the install and kolet does not load for what is checked below.
    for (const pkg of ['core', 'kolet']) {
      const { scripts = {} } = JSON.parse(
        await readFile(join(repo, 'packages', pkg, 'package.json'), 'utf8'),
      ) as { scripts?: Record<string, string> };
      expect(
        Object.keys(scripts).filter((k) => /^(pre|post)?install$/.test(k)),
        pkg,
      ).toEqual([]);
    }
    const install = await sh(
      `npm install -g --no-fund --no-audit --ignore-scripts --prefix "${prefix}" ${tarballs.map((t) => `"${t}"`).join(' ')}`,
      bin0,
      dir,
      600_000,
      true,
    );
    expect(install.code, install.stderr).toBe(0);
    const bin = join(prefix, 'bin');
    const help = await sh('kolet --help', bin, dir);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('kolet list');
    const version = await sh('kolet version --json', bin, dir);
    expect(version.code, version.stderr).toBe(0);
    expect((JSON.parse(version.stdout) as { version: string }).version).toMatch(/^\d+\.\d+\.\d+/);
    const list = await sh('kolet list --json | cat', bin, dir);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ test: 'kolet.self' })]),
    );
    // the installed copy, not the checkout
    const which = await sh('readlink -f "$(command -v kolet)"', bin, dir);
    expect(which.stdout.trim().startsWith(prefix)).toBe(true);
  }, 900_000);
});
