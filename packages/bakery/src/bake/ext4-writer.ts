import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { InputError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { requireTool, run } from '@mantle/core/exec';
import {
  checkDebugfsArg,
  ext4List,
  withToolPath,
  type Ext4Entry,
  type Ext4Op,
  type PartitionRef,
} from '@mantle/core/disk';

// Why not core's ext4Apply: it issues `mkdir` for every parent directory and relies on debugfs
// refusing existing ones, but debugfs 1.47 allocates and writes the new inode before it finds the
// name taken — each `mkdir` of an existing directory leaves an unconnected inode behind (e2fsck:
// "Unconnected directory inode", "Inode bitmap differences"). The same holds for `write` and
// `symlink` onto an existing name. So this writer lists the parents first and creates only what
// is missing, removes what it replaces, and runs everything in one debugfs session.
// (Reported to the lead as a core bug.)

/** Apply ops to an ext4 partition without ever creating over an existing name. */
export async function applyExt4(
  part: PartitionRef,
  ops: readonly Ext4Op[],
  opts: { logger?: Logger } = {},
): Promise<void> {
  if (ops.length === 0) return;
  const lo = opts.logger ? { logger: opts.logger } : {};
  const listings = new Map<string, Ext4Entry[] | undefined>();
  const entry = async (path: string): Promise<Ext4Entry | undefined> => {
    if (path === '/')
      return { name: '/', path: '/', inode: 2, mode: 0o40755, type: 'dir', uid: 0, gid: 0, size: 0 };
    const parent = posix.dirname(path);
    if (!listings.has(parent)) {
      const pe = await entry(parent);
      listings.set(parent, pe?.type === 'dir' ? await ext4List(part, parent, lo) : undefined);
    }
    return listings.get(parent)?.find((e) => e.name === posix.basename(path));
  };

  const dir = await mkdtemp(join(tmpdir(), 'bakery-ext4-'));
  try {
    const cmds: string[] = [];
    const dirs = new Set<string>();
    const ensureDir = async (p: string, mode?: number, uid?: number, gid?: number): Promise<void> => {
      if (p === '/' || dirs.has(p)) return;
      await ensureDir(posix.dirname(p));
      dirs.add(p);
      const e = await entry(p);
      if (e?.type === 'dir') return;
      if (e)
        throw new InputError({
          code: 'FS_NOT_A_DIR',
          message: `${p} exists in ${part.label ?? 'the partition'} but is not a directory`,
          hint: 'remove it from the image first',
          details: { path: p },
        });
      cmds.push(
        `mkdir ${q(p)}`,
        `sif ${q(p)} mode 0${(0o40000 | ((mode ?? 0o755) & 0o7777)).toString(8)}`,
        `sif ${q(p)} uid ${uid ?? 0}`,
        `sif ${q(p)} gid ${gid ?? 0}`,
      );
    };
    const replaced = new Set<string>();
    const clear = async (p: string): Promise<void> => {
      const e = replaced.has(p) ? undefined : await entry(p);
      if (!e && !replaced.has(p)) return;
      if (e?.type === 'dir')
        throw new InputError({
          code: 'FS_IS_A_DIR',
          message: `${p} is a directory in ${part.label ?? 'the partition'}; refusing to replace it with a file`,
          hint: 'remove the directory from the image first',
          details: { path: p },
        });
      cmds.push(`rm ${q(p)}`);
    };
    let n = 0;
    for (const op of ops) {
      const p = checkPath(op.path);
      if (op.op === 'mkdir') {
        await ensureDir(p, op.mode, op.uid, op.gid);
        continue;
      }
      if (op.op === 'rm') {
        await clear(p);
        replaced.delete(p);
        continue;
      }
      await ensureDir(posix.dirname(p));
      await clear(p);
      replaced.add(p);
      if (op.op === 'write') {
        // Both sides of the write are checked: the host file (a path the user gave) too.
        let src = op.from;
        if (src === undefined) {
          src = join(dir, `f${n++}`);
          await writeFile(src, op.content ?? '');
        }
        cmds.push(
          `write ${q(checkDebugfsArg(src, 'host file'))} ${q(p)}`,
          `sif ${q(p)} mode 0${(0o100000 | ((op.mode ?? 0o644) & 0o7777)).toString(8)}`,
        );
        if (op.mtime !== undefined) cmds.push(`sif ${q(p)} mtime @${Math.floor(op.mtime)}`);
      } else {
        cmds.push(`symlink ${q(p)} ${q(checkDebugfsArg(op.target, 'symlink target'))}`);
      }
      cmds.push(`sif ${q(p)} uid ${op.uid ?? 0}`, `sif ${q(p)} gid ${op.gid ?? 0}`);
    }
    const debugfs = await requireTool('debugfs', {
      debianPackage: 'e2fsprogs',
      purpose: 'write into ext4 partitions without root',
    });
    const file = join(dir, 'cmds');
    await writeFile(file, cmds.join('\n') + '\n');
    const r = await withToolPath(part.image, (img) =>
      run(debugfs, ['-w', '-f', file, `${img}?offset=${part.offset}`], { ...lo, timeoutMs: 3600_000 }),
    );
    const problems = r.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^debugfs \d/.test(l) && !/^Allocated inode: \d+$/.test(l));
    if (problems.length > 0) {
      throw new OperationError({
        code: 'FS_FAILED',
        message: `debugfs on ${part.image} partition ${part.label ?? ''} failed: ${problems.slice(0, 5).join('; ')}`,
        hint: 'is the filesystem full or damaged? run e2fsck on a copy',
        details: { file: part.image },
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function checkPath(path: string): string {
  checkDebugfsArg(path, 'path in the image');
  return posix.normalize('/' + path).replace(/(.)\/$/, '$1');
}

function q(s: string): string {
  return `"${s}"`;
}
