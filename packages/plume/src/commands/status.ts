import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { CommandStatus, ReleaseStatus } from '../release/status.js';
import { releaseFlags, storeFlags, withStore } from './flags.js';

/** `plume status -C -B -V [--json]`: what the run journals say was done and published where. */
export const statusSpec = defineCommand({
  command: 'status',
  examples: [['$0 status -C beta -B amd64-usr --json', 'what an interrupted (pre-)release has done so far']],
  describe: 'show what pre-release and release of a build did, step by step, and what they published',
  builder: (y) =>
    storeFlags(releaseFlags(y)).option('state', {
      type: 'string',
      describe: 'where run journals are kept (default file://$XDG_STATE_HOME/mantle/plume)',
    }),
  run: async (a, ctx) => {
    const { defaultStateUrl } = await import('../journal/state.js');
    const { releaseStatus } = await import('../release/status.js');
    const { checkVersion } = await import('../spec/resolve.js');
    checkVersion(a.version);
    const url = (a.state ?? defaultStateUrl(ctx.env)).replace(/\/?$/, '/');
    return withStore(url, a, ctx, (state) =>
      releaseStatus(state, { channel: a.channel, board: a.board, version: a.version }),
    );
  },
  print: (r: ReleaseStatus, ctx: CommandContext) => {
    const show = (name: string, s: CommandStatus): void => {
      writeOut(
        ctx,
        `${name}: ${s.state}${s.finished ? ` ${s.finished}` : s.started ? ` (started ${s.started})` : ''}`,
      );
      for (const step of s.steps)
        writeOut(
          ctx,
          `  ${step.status.padEnd(8)} ${step.id}${step.result !== undefined ? ` ${JSON.stringify(step.result)}` : ''}`,
        );
    };
    writeOut(ctx, `${r.channel} ${r.board} ${r.version}`);
    show('pre-release', r.preRelease);
    show('release', r.release);
    const who = (p: { public: boolean; users: string[] } | undefined): string =>
      p ? [...(p.public ? ['everyone'] : []), ...p.users].join(', ') || 'owner only' : '?';
    const { aws, gce, azure } = r.published;
    if (aws.length > 0 || gce || azure) writeOut(ctx, 'published:');
    for (const a of aws)
      writeOut(
        ctx,
        `  AWS ${a.partition} ${a.region} ${a.imageId} ${a.state}` +
          (a.launch ? `; launch: ${who(a.launch)}; volumes: ${who(a.createVolume)}` : ''),
      );
    if (gce) {
      if (gce.image) writeOut(ctx, `  GCE ${gce.image} in family ${gce.family} (public)`);
      else if (gce.staged) writeOut(ctx, `  GCE tarball staged at ${gce.staged} (no image before release)`);
      if (gce.deprecated?.length) writeOut(ctx, `  GCE deprecated: ${gce.deprecated.join(', ')}`);
      if (gce.deleted?.length) writeOut(ctx, `  GCE deleted: ${gce.deleted.join(', ')}`);
    }
    if (azure) {
      if (azure.blob) writeOut(ctx, `  Azure blob ${azure.blob}`);
      if (azure.galleryVersion)
        writeOut(
          ctx,
          `  Azure gallery version ${azure.galleryVersion} ${azure.shared ? 'public (community gallery)' : 'private'}`,
        );
      else if (azure.blob) writeOut(ctx, '  Azure gallery version: none yet (made by release)');
      if (azure.communityVersion) writeOut(ctx, `  Azure community image ${azure.communityVersion}`);
    }
  },
});
