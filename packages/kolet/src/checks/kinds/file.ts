import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readFile, readlink, stat } from 'node:fs/promises';
import type { CheckContext } from '../context.js';
import { expectEqual, expectPatterns, failed, gateOnExists, type Outcome } from '../outcome.js';
import type { FileProps, FileType } from '../types.js';

/** Check a path: exists, mode, owner, group, filetype, linked-to (lstat); contains, sha256, size (followed). */
export async function checkFile(id: string, props: FileProps, ctx: CheckContext): Promise<Outcome[]> {
  let link: Stats | undefined;
  try {
    link = await lstat(id);
  } catch (err) {
    if (!['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
  const contains = props.contains?.map((p) => p.source);
  return gateOnExists(
    props,
    link !== undefined,
    'file',
    async () => {
      const st = link as Stats;
      const out: Outcome[] = [];
      if (props.mode !== undefined)
        out.push(expectEqual('mode', props.mode, (st.mode & 0o7777).toString(8).padStart(4, '0')));
      if (props.owner !== undefined)
        out.push(expectEqual('owner', props.owner, await ownerName(ctx, st.uid, props.owner)));
      if (props.group !== undefined)
        out.push(expectEqual('group', props.group, await groupName(ctx, st.gid, props.group)));
      if (props.filetype !== undefined) out.push(expectEqual('filetype', props.filetype, fileType(st)));
      if (props['linked-to'] !== undefined) {
        const target = st.isSymbolicLink() ? await readlink(id) : null;
        out.push(expectEqual('linked-to', props['linked-to'], target));
      }
      if (props.contains !== undefined || props.sha256 !== undefined || props.size !== undefined) {
        out.push(...(await contentChecks(id, props, contains ?? [])));
      }
      return out;
    },
    {
      mode: props.mode,
      owner: props.owner,
      group: props.group,
      filetype: props.filetype,
      'linked-to': props['linked-to'],
      contains,
      sha256: props.sha256,
      size: props.size,
    },
  );
}

async function contentChecks(id: string, props: FileProps, contains: string[]): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let target: Stats;
  try {
    target = await stat(id);
  } catch (err) {
    const why = `cannot follow ${id}: ${(err as Error).message}`;
    if (props.contains) out.push(failed('contains', contains, null, why));
    if (props.sha256) out.push(failed('sha256', props.sha256, null, why));
    if (props.size !== undefined) out.push(failed('size', props.size, null, why));
    return out;
  }
  const isFile = target.isFile();
  const notFile = `${id} is a ${fileType(target)}, not a file`;
  if (props.contains) {
    // A file's content is read once; spec authors check config files, not multi-GB images.
    out.push(
      isFile
        ? expectPatterns('contains', props.contains, await readFile(id, 'utf8'))
        : failed('contains', contains, null, notFile),
    );
  }
  if (props.sha256)
    out.push(
      isFile
        ? expectEqual('sha256', props.sha256, await sha256File(id))
        : failed('sha256', props.sha256, null, notFile),
    );
  if (props.size !== undefined) out.push(expectEqual('size', props.size, target.size));
  return out;
}

/** The type of a file as goss names it. */
export function fileType(st: Stats): FileType {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'directory';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  if (st.isFIFO()) return 'pipe';
  if (st.isSocket()) return 'socket';
  return 'file';
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolveHash, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolveHash(h.digest('hex')));
  });
}

// A spec may name the owner by number; then the number is what is compared.
async function ownerName(ctx: CheckContext, uid: number, expected: string): Promise<string> {
  if (/^\d+$/.test(expected)) return String(uid);
  return (await ctx.passwd()).find((u) => u.uid === uid)?.name ?? String(uid);
}

async function groupName(ctx: CheckContext, gid: number, expected: string): Promise<string> {
  if (/^\d+$/.test(expected)) return String(gid);
  return (await ctx.groups()).find((g) => g.gid === gid)?.name ?? String(gid);
}
