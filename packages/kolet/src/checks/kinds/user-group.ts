import type { CheckContext } from '../context.js';
import { runCapture, TOOL_TIMEOUT_MS } from '../system/spawn-capture.js';
import {
  groupsOfUser,
  parseGroup,
  parsePasswd,
  type GroupEntry,
  type PasswdEntry,
} from '../system/passwd.js';
import type { GroupProps, UserProps } from '../types.js';
import { SystemError, type ResourceRun } from '../validate-value.js';
import { deprecateAtoI, once } from './common.js';

/** A user: exists, then uid, gid, home, groups (sorted names), shell — goss's order. */
export async function checkUser(
  run: ResourceRun,
  id: string,
  props: UserProps,
  ctx: CheckContext,
): Promise<void> {
  const name = props.username ?? id;
  const lookup = once(
    async () =>
      (await ctx.passwd()).find((u) => u.name === name) ?? (await getent<PasswdEntry>(ctx, 'passwd', name)),
  );
  const user = async (): Promise<PasswdEntry> => {
    const u = await lookup();
    if (!u) throw new SystemError(`user: unknown user ${name}`);
    return u;
  };
  await run.check('exists', props.exists, async () => (await lookup()) !== undefined);
  run.gateOnFirst();
  if (props.uid != null)
    await run.check(
      'uid',
      deprecateAtoI(props.uid, `${props.username ?? ''}: user.uid`, ctx),
      async () => (await user()).uid,
    );
  if (props.gid != null)
    await run.check(
      'gid',
      deprecateAtoI(props.gid, `${props.username ?? ''}: user.gid`, ctx),
      async () => (await user()).gid,
    );
  if (props.home != null) await run.check('home', props.home, async () => (await user()).home);
  if (props.groups != null)
    await run.check('groups', props.groups, async () => userGroups(ctx, await user()));
  if (props.shell != null) await run.check('shell', props.shell, async () => (await user()).shell);
}

/** A group: exists, then gid. */
export async function checkGroup(
  run: ResourceRun,
  id: string,
  props: GroupProps,
  ctx: CheckContext,
): Promise<void> {
  const name = props.groupname ?? id;
  const lookup = once(
    async () =>
      (await ctx.groups()).find((g) => g.name === name) ?? (await getent<GroupEntry>(ctx, 'group', name)),
  );
  await run.check('exists', props.exists, async () => (await lookup()) !== undefined);
  run.gateOnFirst();
  if (props.gid != null)
    await run.check('gid', deprecateAtoI(props.gid, `${id}: group.gid`, ctx), async () => {
      const g = await lookup();
      if (!g) throw new SystemError(`group: unknown group ${name}`);
      return g.gid;
    });
}

/** The groups of a user as goss reads them: /etc/group by primary gid and members, sorted. */
async function userGroups(ctx: CheckContext, u: PasswdEntry): Promise<string[]> {
  const fromFile = groupsOfUser(u, await ctx.groups());
  if (fromFile.length > 0) return fromFile;
  // Users and groups from NSS modules (Flatcar's altfiles, LDAP) are not in /etc/group.
  const id = await ctx.tool('id');
  if (!id) return fromFile;
  const r = await runCapture([id, '-Gn', u.name], {
    env: ctx.env,
    timeoutMs: TOOL_TIMEOUT_MS,
    signal: ctx.signal,
  });
  return r.exitCode === 0 ? r.stdout.trim().split(/\s+/).filter(Boolean).sort() : fromFile;
}

/**
 * Ask NSS (getent) for names not in the files: Flatcar keeps system users in
 * /usr/share/baselayout via nss-altfiles. Machines without getent (busybox) just say missing.
 */
export async function getent<T>(
  ctx: CheckContext,
  db: 'passwd' | 'group',
  key: string,
): Promise<T | undefined> {
  const tool = await ctx.tool('getent');
  if (!tool) return undefined;
  const r = await runCapture([tool, db, key], {
    env: ctx.env,
    timeoutMs: TOOL_TIMEOUT_MS,
    signal: ctx.signal,
  });
  if (r.exitCode !== 0) return undefined;
  const parsed = db === 'passwd' ? parsePasswd(r.stdout) : parseGroup(r.stdout);
  return (parsed[0] as T | undefined) ?? undefined;
}
