import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readFile, readlink } from 'node:fs/promises';
import type { CheckContext } from '../context.js';
import type { FileProps, FileType } from '../types.js';
import { SystemError, isSet, type ResourceRun } from '../validate-value.js';
import { deprecateAtoI, gossPath, once } from './common.js';
import { getent } from './user-group.js';
import type { GroupEntry, PasswdEntry } from '../system/passwd.js';

/**
 * A path, as goss checks it: exists, then mode, owner, uid, group, gid, linkedto, filetype
 * (all of the path itself, lstat), contains/contents (read through links), size (lstat),
 * md5, sha256, sha512.
 */
export async function checkFile(
  run: ResourceRun,
  id: string,
  props: FileProps,
  ctx: CheckContext,
): Promise<void> {
  const path = await gossPath(props.path ?? id, ctx);
  const stat = once(() => lstat(path));
  await run.check('exists', props.exists, async () => {
    try {
      await stat();
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  });
  run.gateOnFirst();
  if (props.mode != null)
    await run.check('mode', props.mode, async () =>
      ((await stat()).mode & 0o7777).toString(8).padStart(4, '0'),
    );
  if (props.owner != null)
    await run.check('owner', props.owner, async () => userName(ctx, (await stat()).uid));
  if (props.uid != null)
    await run.check('uid', deprecateAtoI(props.uid, `${id}: file.uid`, ctx), async () => (await stat()).uid);
  if (props.group != null)
    await run.check('group', props.group, async () => groupName(ctx, (await stat()).gid));
  if (props.gid != null)
    await run.check('gid', deprecateAtoI(props.gid, `${id}: file.gid`, ctx), async () => (await stat()).gid);
  if (props['linked-to'] != null) await run.check('linkedto', props['linked-to'], () => readlink(path));
  if (props.filetype != null) await run.check('filetype', props.filetype, async () => fileType(await stat()));
  const contents = once(async () => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      // Node leaves the path out of read errors; goss's message names it.
      const e = err as NodeJS.ErrnoException;
      e.path ??= path;
      throw e;
    }
  });
  if (isSet(props.contains)) {
    ctx.warn('DEPRECATION WARNING: file.contains has been renamed to file.contents');
    await run.check('contains', props.contains, contents, { reader: true });
  }
  if (isSet(props.contents)) await run.check('contents', props.contents, contents, { reader: true });
  if (props.size != null) await run.check('size', props.size, async () => (await stat()).size);
  if (props.md5 != null) await run.check('md5', props.md5, () => hashFile(path, 'md5'));
  if (props.sha256 != null) await run.check('sha256', props.sha256, () => hashFile(path, 'sha256'));
  if (props.sha512 != null) await run.check('sha512', props.sha512, () => hashFile(path, 'sha512'));
}

/** The type of a file as goss names it. */
function fileType(st: Stats): FileType {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  if (st.isFIFO()) return 'pipe';
  if (st.isSocket()) return 'socket';
  if (st.isDirectory()) return 'directory';
  return 'file';
}

function hashFile(path: string, algorithm: 'md5' | 'sha256' | 'sha512'): Promise<string> {
  return new Promise((resolveHash, reject) => {
    const h = createHash(algorithm);
    createReadStream(path)
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolveHash(h.digest('hex')));
  });
}

async function userName(ctx: CheckContext, uid: number): Promise<string> {
  const u =
    (await ctx.passwd()).find((e) => e.uid === uid) ??
    (await getent<PasswdEntry>(ctx, 'passwd', String(uid)));
  if (!u) throw new SystemError(`Error: no matching entries in passwd file. getent passwd: ${uid}`);
  return u.name;
}

async function groupName(ctx: CheckContext, gid: number): Promise<string> {
  const g =
    (await ctx.groups()).find((e) => e.gid === gid) ?? (await getent<GroupEntry>(ctx, 'group', String(gid)));
  if (!g) throw new SystemError(`Error: no matching entries in group file. getent group: ${gid}`);
  return g.name;
}
