import { lstat, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireTool, run } from '@mantle/core/exec';
import { checkNoControlChars } from '@mantle/core/fs';
import { parentDirs, toolEnv, type BuildInput } from './formats.js';

// squashfs is built straight from the source tree: the generated files (metadata, drop-ins) are
// added with mksquashfs pseudo-file definitions instead of copying the tree into a staging
// directory as sysext-bakery does. A pseudo file's content is the output of a command; ours is
// `cat` of a small file in the scratch directory. Directories the tree lacks are pseudo
// directories; ones it has are left to the tree (mksquashfs would ignore the pseudo one anyway).

/** Build a squashfs image (gzip unless `compression` says otherwise), reproducible for a given epoch. */
export async function buildSquashfs(input: BuildInput): Promise<void> {
  const mksquashfs = await requireTool('mksquashfs', {
    debianPackage: 'squashfs-tools',
    purpose: 'build squashfs sysext images',
    env: input.env,
  });
  const pf = await pseudoFile(input);
  const args = [
    input.source,
    input.out,
    '-noappend',
    '-all-root',
    '-no-xattrs',
    '-mkfs-time',
    String(input.epoch),
    '-all-time',
    String(input.epoch),
    '-no-progress',
    '-quiet',
  ];
  if (pf) args.push('-pf', pf);
  if (input.compression && input.compression !== 'gzip') args.push('-comp', input.compression);
  // mksquashfs refuses SOURCE_DATE_EPOCH together with -mkfs-time/-all-time. It runs in the
  // scratch directory so the pseudo file's commands name their inputs relatively: no path of
  // the caller's (--out may hold any character) ever enters that line-oriented file.
  await run(mksquashfs, args, {
    cwd: input.scratch,
    env: toolEnv(input.env),
    signal: input.signal,
    logger: input.logger,
    timeoutMs: 6 * 3600_000,
  });
}

async function pseudoFile(input: BuildInput): Promise<string | undefined> {
  if (input.generated.length === 0) return undefined;
  const dir = join(input.scratch, 'pseudo');
  await mkdir(dir, { recursive: true });
  const lines: string[] = [];
  const declared = new Set<string>();
  let n = 0;
  for (const g of input.generated) {
    for (const d of parentDirs(g.path)) {
      if (declared.has(d)) continue;
      declared.add(d);
      const inTree = await lstat(join(input.source, d)).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!inTree) lines.push(`${d} D ${input.epoch} 755 0 0`);
    }
    const file = `f${n++}`;
    await writeFile(join(dir, file), g.content);
    lines.push(
      `${checkNoControlChars(g.path, 'generated path')} F ${input.epoch} ${((g.mode ?? 0o644) & 0o7777).toString(8)} 0 0 cat pseudo/${file}`,
    );
  }
  const pf = join(input.scratch, 'pseudo.txt');
  await writeFile(pf, lines.join('\n') + '\n');
  return pf;
}
