import { execFileSync, spawn } from 'node:child_process';
import {
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../errors/exit-codes.js';
import {
  chmodInside,
  copyInside,
  mkdirInside,
  readFileInside,
  resolveInside,
  symlinkInside,
  writeFileInside,
} from './confine.js';
import { FsErrorCode, UnsafePathError } from './errors.js';
import { checkNoControlChars, checkSegment, splitRelative } from './names.js';

// Every test attacks the helper with a root whose entries lead outside it, and checks both the
// refusal (code, exit 2, the entry named) and that nothing outside the root changed.

let base: string;
let root: string;
let outside: string;
const what = 'test input';

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'mantle-confine-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(join(root, 'dir'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'host secret\n', { mode: 0o600 });
  await writeFile(join(root, 'dir/file'), 'inside\n');
  await symlink(outside, join(root, 'lnk')); // a directory link in the middle
  await symlink(join(outside, 'secret'), join(root, 'dir/last')); // a file link as the last component
  await symlink('../../outside', join(root, 'dir/up')); // a relative link that climbs out
});
afterEach(() => rm(base, { recursive: true, force: true }));

/** What is in the decoy directory, with modes. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir)).sort()) {
    const st = await lstat(join(dir, e));
    out.push(
      `${e} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? await readFile(join(dir, e), 'utf8') : ''}`,
    );
  }
  return out;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof UnsafePathError ? err.code : String(err);
  }
  return undefined;
}

async function refused(p: Promise<unknown>, code: string, entry?: RegExp): Promise<UnsafePathError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnsafePathError);
  const e = err as UnsafePathError;
  expect(e.code).toBe(code);
  expect(e.exitCode).toBe(ExitCode.Usage);
  expect(e.message).toContain(what);
  if (entry) expect(e.message).toMatch(entry);
  return e;
}

describe('names', () => {
  it('refuses control characters, . and .., and slashes in segments', () => {
    expect(() => checkNoControlChars('a\nb', 'x')).toThrow(/control character/);
    expect(() => checkNoControlChars('a\0b', 'x')).toThrow(UnsafePathError);
    expect(() => checkNoControlChars('a\u001bb', 'x')).toThrow(UnsafePathError);
    expect(checkNoControlChars('plain näme', 'x')).toBe('plain näme');
    for (const bad of ['', '.', '..', 'a/b', 'a\rb'])
      expect(() => checkSegment(bad, 'x')).toThrow(UnsafePathError);
    expect(checkSegment('libc.so.6', 'x')).toBe('libc.so.6');
  });

  it('splits relative paths and refuses .. and absolute ones', () => {
    expect(splitRelative('./a//b/./c/', 'x')).toEqual(['a', 'b', 'c']);
    expect(splitRelative('', 'x')).toEqual([]);
    expect(codeOf(() => splitRelative('/etc/passwd', 'x'))).toBe(FsErrorCode.Absolute);
    expect(codeOf(() => splitRelative('a/../../b', 'x'))).toBe(FsErrorCode.DotDot);
    expect(codeOf(() => splitRelative('a/..', 'x'))).toBe(FsErrorCode.DotDot);
  });
});

describe('resolveInside', () => {
  it('resolves plain paths and reports missing ones', async () => {
    const r = await resolveInside(root, 'dir/file', { what });
    expect(r.path).toBe(join(root, 'dir/file'));
    expect(r.stat?.isFile()).toBe(true);
    expect((await resolveInside(root, 'dir/nope/x', { what, mustExist: false })).stat).toBeUndefined();
    await refused(resolveInside(root, 'dir/nope', { what }), FsErrorCode.NotFound, /dir\/nope/);
  });

  it('refuses a symlink in the middle, naming it and its target', async () => {
    const e = await refused(
      resolveInside(root, 'lnk/secret', { what }),
      FsErrorCode.Symlink,
      /lnk is a symbolic link/,
    );
    expect(e.message).toContain(outside);
    await refused(resolveInside(root, 'dir/up/secret', { what }), FsErrorCode.Symlink, /dir\/up/);
    // a symlink where a missing parent would be is still refused
    await refused(resolveInside(root, 'lnk/new/file', { what, mustExist: false }), FsErrorCode.Symlink);
  });

  it('refuses a symlink as the last component unless asked to keep it', async () => {
    await refused(resolveInside(root, 'dir/last', { what }), FsErrorCode.Symlink, /dir\/last/);
    const r = await resolveInside(root, 'dir/last', { what, allowFinalSymlink: true });
    expect(r.stat?.isSymbolicLink()).toBe(true);
  });

  it('refuses .., absolute paths and a file used as a directory', async () => {
    await refused(resolveInside(root, '../outside/secret', { what }), FsErrorCode.DotDot);
    await refused(resolveInside(root, join(outside, 'secret'), { what }), FsErrorCode.Absolute);
    await refused(resolveInside(root, 'dir/file/x', { what }), FsErrorCode.NotDir, /dir\/file/);
  });
});

describe('reading', () => {
  it('reads inside, never through a link', async () => {
    expect((await readFileInside(root, 'dir/file', { what })).toString()).toBe('inside\n');
    await refused(readFileInside(root, 'lnk/secret', { what }), FsErrorCode.Symlink);
    await refused(readFileInside(root, 'dir/last', { what }), FsErrorCode.Symlink);
  });

  it('refuses a FIFO, a socket and a device node without opening them', async () => {
    execFileSync('mkfifo', [join(root, 'dir/fifo')]);
    // An open of a FIFO with no writer would block forever: the refusal must come first.
    await refused(readFileInside(root, 'dir/fifo', { what }), FsErrorCode.Special, /dir\/fifo is a FIFO/);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'dir/sock'), resolve));
    try {
      await refused(readFileInside(root, 'dir/sock', { what }), FsErrorCode.Special, /a socket/);
    } finally {
      server.close();
    }
    execFileSync('mknod', [join(root, 'dir/blk'), 'b', '7', '200']); // CI runs as root
    await refused(
      readFileInside(root, 'dir/blk', { what }),
      FsErrorCode.Special,
      /dir\/blk is a block device/,
    );
  });
});

describe('writing', () => {
  it('creates parents and files with the exact mode, setuid included', async () => {
    const p = await writeFileInside(root, 'new/sub/f', 'x', { what, mode: 0o4755 });
    expect(p).toBe(join(root, 'new/sub/f'));
    expect((await stat(p)).mode & 0o7777).toBe(0o4755);
    expect((await stat(join(root, 'new/sub'))).mode & 0o777).toBe(0o755);
  });

  it('never writes through a symlinked parent or onto a symlink', async () => {
    const before = await snapshot(outside);
    await refused(
      writeFileInside(root, 'lnk/secret', 'pwned', { what, mode: 0o4777 }),
      FsErrorCode.Symlink,
      /lnk/,
    );
    await refused(writeFileInside(root, 'lnk/new', 'pwned', { what }), FsErrorCode.Symlink);
    await refused(writeFileInside(root, 'dir/last', 'pwned', { what }), FsErrorCode.Exists, /dir\/last/);
    await refused(mkdirInside(root, 'dir/up/x', { what }), FsErrorCode.Symlink);
    await refused(symlinkInside(root, 'lnk/l', '/etc', { what }), FsErrorCode.Symlink);
    expect(await snapshot(outside)).toEqual(before);
  });

  it('replaces a hard-linked file with a new one instead of writing through it', async () => {
    await link(join(outside, 'secret'), join(root, 'dir/hard'));
    await writeFileInside(root, 'dir/hard', 'new', { what, replace: true });
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('host secret\n');
    expect(await readFile(join(root, 'dir/hard'), 'utf8')).toBe('new');
    // replace removes a symlink, it never follows it
    await writeFileInside(root, 'dir/last', 'new', { what, replace: true });
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('host secret\n');
  });

  it('chmods without following links', async () => {
    const before = await snapshot(outside);
    expect(await chmodInside(root, 'dir/last', 0o777, { what })).toBe(false);
    await refused(chmodInside(root, 'lnk/secret', 0o777, { what }), FsErrorCode.Symlink);
    expect(await chmodInside(root, 'dir/file', 0o4711, { what })).toBe(true);
    expect((await stat(join(root, 'dir/file'))).mode & 0o7777).toBe(0o4711);
    expect(await snapshot(outside)).toEqual(before);
  });

  it('refuses a parent swapped for a symlink while writing (race)', async () => {
    // Another process flips race/ between a directory and a link to outside/ as fast as it can;
    // whatever interleaving happens, nothing may be left outside.
    await mkdir(join(root, 'race'));
    const flipper = spawn(
      'sh',
      [
        '-c',
        `cd ${JSON.stringify(root)} && while :; do mv race race.d; ln -s ${JSON.stringify(outside)} race; rm race; mv race.d race; done`,
      ],
      // its own process group: killing only sh would leave a running mv/ln that races the cleanup
      { stdio: 'ignore', detached: true },
    );
    try {
      let ok = 0;
      let caught = 0;
      for (let i = 0; i < 3000; i++) {
        try {
          await writeFileInside(root, `race/f${i}`, 'x', { what });
          ok++;
        } catch (err) {
          if (!(err instanceof UnsafePathError) && !/ENOENT/.test(String(err))) throw err;
          caught++;
        }
      }
      expect(ok + caught).toBe(3000);
    } finally {
      const exited = new Promise((r) => flipper.once('exit', r));
      process.kill(-flipper.pid!, 'SIGKILL');
      await exited;
    }
    expect((await readdir(outside)).filter((f) => f !== 'secret')).toEqual([]);
  });
});

describe('copyInside', () => {
  it('copies files, directories and symlinks as symlinks, never following them', async () => {
    const dest = join(base, 'dest');
    await mkdir(dest);
    const s = await copyInside(root, 'dir', dest, 'usr/share/x', { what });
    expect(s.files).toBe(1);
    expect(s.symlinks).toBe(2);
    expect(await readlink(join(dest, 'usr/share/x/last'))).toBe(join(outside, 'secret'));
    expect(await readFile(join(dest, 'usr/share/x/file'), 'utf8')).toBe('inside\n');
    // the top entry itself may be a link: copied as one
    await copyInside(root, 'lnk', dest, 'usr/lnk', { what });
    expect((await lstat(join(dest, 'usr/lnk'))).isSymbolicLink()).toBe(true);
  });

  it('refuses devices and FIFOs in a directory, naming the entry', async () => {
    const dest = join(base, 'dest');
    await mkdir(dest);
    execFileSync('mknod', [join(root, 'dir/null'), 'c', '1', '3']);
    await refused(
      copyInside(root, 'dir', dest, 'd', { what }),
      FsErrorCode.Special,
      /dir\/null is a character device/,
    );
    await rm(join(root, 'dir/null'));
    execFileSync('mkfifo', [join(root, 'dir/pipe')]);
    await refused(copyInside(root, 'dir', dest, 'e', { what }), FsErrorCode.Special, /dir\/pipe is a FIFO/);
  });

  it('refuses a destination that goes through a symlink', async () => {
    const before = await snapshot(outside);
    await refused(copyInside(root, 'dir/file', root, 'lnk/copied', { what }), FsErrorCode.Symlink);
    await refused(copyInside(root, 'dir/file', root, 'dir/last', { what }), FsErrorCode.Exists);
    expect(await snapshot(outside)).toEqual(before);
  });
});
