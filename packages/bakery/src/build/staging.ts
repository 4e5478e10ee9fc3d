import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@mantle/core/log';
import { ExecError, run } from '@mantle/core/exec';
import { writeFileInside } from '@mantle/core/fs';
import type { GeneratedFile } from './formats.js';

// mkfs.erofs and mkfs.btrfs take one source directory, so for them the tree and the generated
// files are merged in a staging directory. Without root there is no overlay mount; instead the
// staging tree is a hard-link farm (`cp -al`: directories are new, files are links to the source
// inodes, no data copied) when source and scratch share a filesystem, and a real copy
// (`cp -a --reflink=auto`, cheap on btrfs/xfs) otherwise. Generated files are created as new
// directory entries (O_EXCL) in directories that are no links (core's writeFileInside), so a
// linked source file is never written through and nothing lands outside the staging tree.

export interface Staging {
  dir: string;
  method: 'hardlink' | 'copy';
}

/** Merge `source` and `generated` into `<scratch>/stage`. */
export async function stageTree(
  source: string,
  generated: readonly GeneratedFile[],
  scratch: string,
  opts: { logger?: Logger; signal?: AbortSignal } = {},
): Promise<Staging> {
  const dir = join(scratch, 'stage');
  await mkdir(dir);
  let method: Staging['method'] = 'hardlink';
  try {
    await run('cp', ['-al', '--', `${source}/.`, `${dir}/`], { logger: opts.logger, signal: opts.signal });
  } catch (err) {
    if (
      !(err instanceof ExecError) ||
      !/cross-device|Invalid cross-device|Operation not permitted/i.test(err.stderrTail)
    )
      throw err;
    opts.logger?.info(`source and scratch are on different filesystems; copying the tree to ${dir}`);
    await run('rm', ['-rf', '--', dir]);
    await mkdir(dir);
    method = 'copy';
    await run('cp', ['-a', '--reflink=auto', '--', `${source}/.`, `${dir}/`], {
      logger: opts.logger,
      signal: opts.signal,
    });
  }
  for (const g of generated)
    await writeFileInside(dir, g.path, g.content, { what: 'generated file', mode: g.mode ?? 0o644 });
  return { dir, method };
}
