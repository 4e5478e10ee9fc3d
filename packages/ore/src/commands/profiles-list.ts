import type { CommandModule } from 'yargs';
import {
  defineCommand,
  withExamples,
  writeOut,
  type CommandBinder,
  type CommandContext,
  type GlobalArgs,
} from '@mantle/core/cli';
import {
  addProfileOptions,
  listProfiles,
  PROFILE_PLATFORMS,
  profileSelectionFromArgs,
  type PlatformProfiles,
  type ProfilePlatform,
} from '@mantle/core/profiles';

/** What `ore profiles list` returns (and prints with --json). */
export interface ProfilesListData {
  platforms: PlatformProfiles[];
}

/** `ore profiles list`: every platform's credential profiles, where they come from, and whether they work. */
export const profilesListCommand = defineCommand({
  command: 'list',
  examples: [
    ['$0 profiles list', 'the credential profiles found, per platform'],
    ['$0 profiles list -p aws --json', 'the AWS ones, as JSON'],
  ],
  describe: 'list credential profiles: where each is read from and whether it is usable (secrets masked)',
  builder: (y) =>
    addProfileOptions(
      y.option('platform', {
        alias: 'p',
        type: 'string',
        array: true,
        choices: PROFILE_PLATFORMS,
        describe: 'only these platforms',
      }),
      PROFILE_PLATFORMS,
      { profile: false },
    ),
  run: async (args, ctx): Promise<ProfilesListData> => {
    const configFiles: Partial<Record<ProfilePlatform, string>> = {};
    for (const p of PROFILE_PLATFORMS) {
      const file = profileSelectionFromArgs(args, p).configFile;
      if (file) configFiles[p] = file;
    }
    const platforms = await listProfiles({
      env: ctx.env,
      cwd: ctx.cwd,
      ...(ctx.env.HOME ? { homeDir: ctx.env.HOME } : {}),
      ...(args.platform && args.platform.length > 0 ? { platforms: args.platform } : {}),
      configFiles,
    });
    for (const p of platforms) for (const w of p.warnings) ctx.logger.warn(w);
    return { platforms };
  },
  print: (data: ProfilesListData, ctx: CommandContext) => writeOut(ctx, formatProfilesTable(data.platforms)),
});

/** The text table: PLATFORM PROFILE SOURCE STATUS, one row per profile, file error or unconfigured platform. */
export function formatProfilesTable(platforms: readonly PlatformProfiles[]): string {
  const rows: string[][] = [['PLATFORM', 'PROFILE', 'SOURCE', 'STATUS']];
  for (const p of platforms) {
    for (const prof of p.profiles) {
      const status = prof.usable
        ? 'ok'
        : prof.missing.length > 0 &&
            prof.problems.every((x) => x.startsWith('has no field') || x.endsWith('is not set'))
          ? `missing ${prof.missing.join(', ')}`
          : `invalid: ${prof.problems.join('; ')}`;
      rows.push([p.platform, prof.name, prof.source, status]);
    }
    for (const e of p.errors) {
      const msg = e.message.startsWith(`${e.source}: `) ? e.message.slice(e.source.length + 2) : e.message;
      rows.push([p.platform, '-', e.source, `error: ${msg}`]);
    }
    if (p.profiles.length === 0 && p.errors.length === 0) {
      // The file users would create (the environment is the other way in, named in --json).
      const where = p.sources.find((s) => s.via !== 'environment') ?? p.sources[0];
      rows.push([p.platform, '-', where?.source ?? '-', 'not configured']);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The `ore profiles` command group. */
export function profilesCommand(bind: CommandBinder): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'profiles',
    describe: 'credential profiles of the clouds ore talks to',
    builder: (y) =>
      withExamples(y, [['$0 profiles list', 'the credential profiles found, per platform']])
        .command(bind(profilesListCommand))
        .demandCommand(1, 'ore profiles: a subcommand is required (list)'),
    handler: () => {},
  };
}
