import type { CheckContext } from '../context.js';
import { expectEqual, expectSameSet, gateOnExists, type Outcome } from '../outcome.js';
import { runCapture } from '../system/spawn-capture.js';
import {
  groupsOfUser,
  parseGroup,
  parsePasswd,
  type GroupEntry,
  type PasswdEntry,
} from '../system/passwd.js';
import type { GroupProps, UserProps } from '../types.js';

/** Check a user: exists, uid, gid, groups (as a set), home, shell. */
export async function checkUser(id: string, props: UserProps, ctx: CheckContext): Promise<Outcome[]> {
  const user =
    (await ctx.passwd()).find((u) => u.name === id) ?? (await getent<PasswdEntry>(ctx, 'passwd', id));
  return gateOnExists(
    props,
    user !== undefined,
    'user',
    async () => {
      const u = user as PasswdEntry;
      const out: Outcome[] = [];
      if (props.uid !== undefined) out.push(expectEqual('uid', props.uid, u.uid));
      if (props.gid !== undefined) out.push(expectEqual('gid', props.gid, u.gid));
      if (props.groups !== undefined)
        out.push(expectSameSet('groups', props.groups, await userGroups(ctx, u)));
      if (props.home !== undefined) out.push(expectEqual('home', props.home, u.home));
      if (props.shell !== undefined) out.push(expectEqual('shell', props.shell, u.shell));
      return out;
    },
    { uid: props.uid, gid: props.gid, groups: props.groups, home: props.home, shell: props.shell },
  );
}

/** Check a group: exists, gid. */
export async function checkGroup(id: string, props: GroupProps, ctx: CheckContext): Promise<Outcome[]> {
  const group =
    (await ctx.groups()).find((g) => g.name === id) ?? (await getent<GroupEntry>(ctx, 'group', id));
  return gateOnExists(
    props,
    group !== undefined,
    'group',
    () => (props.gid !== undefined ? [expectEqual('gid', props.gid, (group as GroupEntry).gid)] : []),
    { gid: props.gid },
  );
}

async function userGroups(ctx: CheckContext, u: PasswdEntry): Promise<string[]> {
  const fromFile = groupsOfUser(u, await ctx.groups());
  if (fromFile.length > 0) return fromFile;
  // Users and groups from NSS modules (Flatcar's altfiles, LDAP) are not in /etc/group.
  const id = await ctx.tool('id');
  if (!id) return fromFile;
  const r = await runCapture([id, '-Gn', u.name], { env: ctx.env, timeoutMs: 5000, signal: ctx.signal });
  return r.exitCode === 0 ? r.stdout.trim().split(/\s+/).filter(Boolean).sort() : fromFile;
}

/**
 * Ask NSS (getent) for names not in the files: Flatcar keeps system users in
 * /usr/share/baselayout via nss-altfiles. Machines without getent (busybox) just say missing.
 */
async function getent<T>(ctx: CheckContext, db: 'passwd' | 'group', name: string): Promise<T | undefined> {
  const tool = await ctx.tool('getent');
  if (!tool) return undefined;
  const r = await runCapture([tool, db, name], { env: ctx.env, timeoutMs: 5000, signal: ctx.signal });
  if (r.exitCode !== 0) return undefined;
  const parsed = db === 'passwd' ? parsePasswd(r.stdout) : parseGroup(r.stdout);
  return parsed.find((e) => e.name === name) as T | undefined;
}
