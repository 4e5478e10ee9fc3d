// Shared by the bakery integration tests: run the built bin, make source trees and temp dirs.
import { spawn } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built bakery bin (pnpm --filter @mantle/core --filter @mantle/bakery build). */
export const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface BinResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Throw a clear message when the bin was not built. */
export async function requireBuilt(): Promise<void> {
  try {
    await access(BIN);
  } catch {
    throw new Error(`${BIN} is missing: run pnpm --filter @mantle/core --filter @mantle/bakery build`);
  }
}

/** Run `bakery ARGS` and collect its exit code and output. */
export function bakery(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...(opts.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.stderr.on('data', (c: Buffer) => err.push(c));
    p.on('error', reject);
    p.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

/** Run any program with an argument array. */
export function exec(
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string } = {},
): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout?.on('data', (c: Buffer) => out.push(c));
    p.stderr?.on('data', (c: Buffer) => err.push(c));
    p.on('error', reject);
    p.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    if (opts.input !== undefined && p.stdin) {
      p.stdin.on('error', () => {}); // the program may exit before reading it all
      p.stdin.end(opts.input);
    }
  });
}

/** A file in a test tree: text, text with a mode, or a symlink. */
export type TreeItem = string | { content: string; mode: number } | { symlink: string } | { dir: true };

/** Write a tree of files under `root`. */
export async function makeTree(root: string, items: Record<string, TreeItem>): Promise<string> {
  await mkdir(root, { recursive: true });
  for (const [rel, item] of Object.entries(items)) {
    const p = join(root, rel);
    await mkdir(dirname(p), { recursive: true });
    if (typeof item === 'string') await writeFile(p, item);
    else if ('symlink' in item) await symlink(item.symlink, p);
    else if ('dir' in item) await mkdir(p, { recursive: true });
    else {
      await writeFile(p, item.content);
      await chmod(p, item.mode);
    }
  }
  return root;
}

/** Temp dirs removed by `cleanup()` (call it in afterAll). */
export function tempDirs(): { make: (prefix: string) => Promise<string>; cleanup: () => Promise<void> } {
  const made: string[] = [];
  return {
    make: async (prefix) => {
      const d = await mkdtemp(join(tmpdir(), `bakery-${prefix}-`));
      made.push(d);
      return d;
    },
    cleanup: async () => {
      for (const d of made) await rm(d, { recursive: true, force: true });
    },
  };
}

/** Entries of a directory (empty when it does not exist). */
export async function ls(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** A small sysext source tree with a binary, a unit and a marker file unique to `tag`. */
export function sampleTree(tag: string): Record<string, TreeItem> {
  return {
    'usr/bin/hello': { content: '#!/bin/sh\necho hello\n', mode: 0o755 },
    'usr/lib/systemd/system/hello.service': '[Service]\nExecStart=/usr/bin/hello\n',
    [`usr/share/bakery-test/${tag}`]: `${tag}\n`,
    'usr/bin/hi': { symlink: 'hello' },
  };
}
