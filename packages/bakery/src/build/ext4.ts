import { open, readdir, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InputError, OperationError } from '@mantle/core/errors';
import { requireTool, run, runText } from '@mantle/core/exec';
import { hasControlChars } from '@mantle/core/fs';
import { writeFile } from 'node:fs/promises';
import { uuidFromSeed } from './deterministic-uuid.js';
import { parentDirs, type BuildInput } from './formats.js';

// ext4 is built from the source tree directly (mke2fs -d, no copy), then one debugfs run adds the
// generated files and normalizes every inode — owner 0:0 and the epoch as every timestamp, since
// mke2fs -d copies owners and times (ctime too) from the source. E2FSPROGS_FAKE_TIME pins the
// superblock times, -U and hash_seed the UUIDs; the journal is left out (the image is mounted
// read-only). Finally resize2fs -M shrinks the filesystem and the file is cut to its size.

const BLOCK = 4096;

/** Build an ext4 image, byte-identical for the same input and epoch. */
export async function buildExt4(input: BuildInput): Promise<void> {
  const e2 = { debianPackage: 'e2fsprogs', purpose: 'build ext4 sysext images', env: input.env };
  const mke2fs = await requireTool('mke2fs', e2);
  const debugfs = await requireTool('debugfs', e2);
  const resize2fs = await requireTool('resize2fs', e2);
  const dumpe2fs = await requireTool('dumpe2fs', e2);
  const e2fsck = await requireTool('e2fsck', e2);

  const paths = await listTree(input.source);
  let bytes = 0;
  for (const p of paths) bytes += Math.ceil(p.size / BLOCK) * BLOCK + 256;
  bytes += input.generated.length * (BLOCK + 256);
  const size = Math.ceil((bytes * 1.3 + 64 * 1024 * 1024) / BLOCK) * BLOCK;
  const fh = await open(input.out, 'w', 0o644);
  try {
    await fh.truncate(size);
  } finally {
    await fh.close();
  }
  // debugfs stamps the superblock's write time from E2FSPROGS_FAKE_TIME on close, but treats 0 as unset.
  const env: NodeJS.ProcessEnv = { ...input.env, E2FSPROGS_FAKE_TIME: String(Math.max(1, input.epoch)) };
  delete env.SOURCE_DATE_EPOCH;
  const uuid = uuidFromSeed(input.seed);
  const opts = { env, signal: input.signal, logger: input.logger, timeoutMs: 6 * 3600_000 };
  const inodes = Math.max(128, paths.length + input.generated.length * 4 + 64);
  await run(
    mke2fs,
    [
      '-q',
      '-F',
      '-t',
      'ext4',
      '-b',
      String(BLOCK),
      '-N',
      String(inodes),
      '-O',
      '^has_journal',
      '-U',
      uuid,
      '-E',
      `root_owner=0:0,hash_seed=${uuid},lazy_itable_init=0,nodiscard`,
      '-d',
      input.source,
      input.out,
    ],
    opts,
  );

  const cmds: string[] = [];
  const all = new Set<string>(['/', '/lost+found']);
  for (const p of paths) all.add('/' + p.path);
  let n = 0;
  for (const g of input.generated) {
    for (const d of parentDirs(g.path)) {
      if (all.has('/' + d)) continue;
      all.add('/' + d);
      cmds.push(`mkdir ${q('/' + d)}`, `sif ${q('/' + d)} mode 040755`);
    }
    // Relative to debugfs's working directory (the scratch dir): no caller path (--out may hold
    // any character) goes into the script.
    const src = `ext4-gen-${n++}`;
    await writeFile(join(input.scratch, src), g.content);
    cmds.push(
      `write ${q(src)} ${q('/' + g.path)}`,
      `sif ${q('/' + g.path)} mode 0${(0o100000 | ((g.mode ?? 0o644) & 0o7777)).toString(8)}`,
    );
    all.add('/' + g.path);
  }
  for (const p of [...all].sort()) {
    for (const f of [
      'uid 0',
      'gid 0',
      `mtime @${input.epoch}`,
      `atime @${input.epoch}`,
      `ctime @${input.epoch}`,
      `crtime @${input.epoch}`,
    ])
      cmds.push(`sif ${q(p)} ${f}`);
  }
  const script = join(input.scratch, 'ext4-debugfs.txt');
  await writeFile(script, cmds.join('\n') + '\n');
  const r = await run(debugfs, ['-w', '-f', script, input.out], { ...opts, cwd: input.scratch });
  const problems = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^debugfs \d/.test(l));
  if (problems.length > 0)
    throw new OperationError({
      code: 'EXT4_DEBUGFS_FAILED',
      message: `debugfs failed on ${input.out}: ${problems.slice(0, 5).join('; ')}`,
      hint: 'check the tree for names or modes ext4 cannot hold, or build with --format squashfs',
      details: { file: input.out },
    });
  // resize2fs wants a freshly checked filesystem; -fp only fixes what is safe (nothing, normally).
  await run(e2fsck, ['-fp', input.out], { ...opts, reject: false });
  await run(resize2fs, ['-M', input.out], opts);
  const info = await runText(dumpe2fs, ['-h', input.out], opts);
  const count = Number(/^Block count:\s+(\d+)/m.exec(info)?.[1]);
  if (!Number.isFinite(count) || count <= 0)
    throw new OperationError({
      code: 'EXT4_NO_BLOCK_COUNT',
      message: `dumpe2fs -h ${input.out} printed no block count`,
      hint: 'check that e2fsprogs works (dumpe2fs -h on an ext4 image)',
      details: { file: input.out },
    });
  // resize2fs stamped the superblock with the current time: pin every superblock time.
  const sb = join(input.scratch, 'ext4-sb.txt');
  await writeFile(
    sb,
    [
      `ssv mkfs_time @${input.epoch}`,
      `ssv lastcheck @${input.epoch}`,
      `ssv mtime @${input.epoch}`,
      `ssv wtime @${input.epoch}`,
    ].join('\n') + '\n',
  );
  await run(debugfs, ['-w', '-f', sb, input.out], opts);
  const out = await open(input.out, 'r+');
  try {
    await out.truncate(count * BLOCK);
  } finally {
    await out.close();
  }
}

interface TreeEntry {
  path: string;
  size: number;
}

async function listTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
      const p = rel ? posix.join(rel, e.name) : e.name;
      if (p.includes('"') || hasControlChars(p)) {
        throw new InputError({
          code: 'TREE_BAD_FILENAME',
          message: `--from ${root}: ${JSON.stringify(p)} has a double quote or a control character in its name, which ext4 images cannot be built with (debugfs)`,
          hint: 'rename the file or build squashfs',
          details: { path: p },
        });
      }
      if (e.isDirectory()) {
        out.push({ path: p, size: BLOCK });
        await walk(p);
      } else if (e.isFile()) {
        out.push({ path: p, size: (await stat(join(root, p))).size });
      } else {
        out.push({ path: p, size: 0 });
      }
    }
  };
  await walk('');
  return out;
}

function q(s: string): string {
  return `"${s}"`;
}
