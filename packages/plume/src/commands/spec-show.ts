import { UsageError } from '@mantle/core/errors';
import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { ReleaseSpec } from '../spec/schema.js';
import type { ResolvedRelease } from '../spec/resolve.js';
import { optionalReleaseFlags } from './flags.js';

/** What `plume spec show` prints: the whole spec, or one channel × board resolved. */
export type SpecShowResult =
  | { kind: 'spec'; source: string; spec: ReleaseSpec }
  | { kind: 'release'; source: string; release: ResolvedRelease };

/** `plume spec show [-C CHANNEL -B BOARD [-V VERSION]] [--spec FILE] [--json]`. */
export const specShowSpec = defineCommand({
  command: 'show',
  examples: [
    ['$0 spec show -C stable -B amd64-usr', 'where the stable amd64 release comes from and goes to'],
  ],
  describe: 'show the release spec, or what a channel × board release does (-C -B [-V])',
  builder: (y) => optionalReleaseFlags(y),
  run: async (a, ctx): Promise<SpecShowResult> => {
    const { loadSpec } = await import('../spec/load.js');
    const { checkChannelBoard, resolveRelease, VERSION_PLACEHOLDER } = await import('../spec/resolve.js');
    const loaded = await loadSpec(a.spec, ctx.cwd);
    if (a.channel === undefined) {
      if (a.board !== undefined || a.version !== undefined)
        throw new UsageError({
          code: 'BAD_USAGE',
          message: '-B/-V need -C',
          hint: 'name the channel: plume spec show -C stable -B amd64-usr',
        });
      return { kind: 'spec', source: loaded.source, spec: loaded.spec } satisfies SpecShowResult;
    }
    if (a.board === undefined) {
      checkChannelBoard(loaded.spec, a.channel);
      throw new UsageError({
        code: 'BAD_USAGE',
        message: `-C ${a.channel} needs -B BOARD`,
        hint: `boards of ${a.channel}: ${loaded.spec.channels[a.channel]!.boards.join(', ')}`,
      });
    }
    const release = resolveRelease(loaded.spec, {
      channel: a.channel,
      board: a.board,
      version: a.version ?? VERSION_PLACEHOLDER,
    });
    return { kind: 'release', source: loaded.source, release } satisfies SpecShowResult;
  },
  print: (r: SpecShowResult, ctx: CommandContext) => {
    if (r.kind === 'spec') {
      writeOut(ctx, `# release spec: ${r.source}`);
      for (const [name, ch] of Object.entries(r.spec.channels)) {
        const dests = [
          ch.aws && 'aws',
          ch.gce && 'gce',
          ch.azure && 'azure',
          ch.storage.length > 0 && `storage×${ch.storage.length}`,
        ].filter(Boolean);
        writeOut(ctx, `${name.padEnd(12)} ${ch.boards.join(', ').padEnd(22)} ${dests.join(', ') || '-'}`);
      }
      writeOut(ctx, '(plume spec show -C CHANNEL -B BOARD for one release; --json for the whole spec)');
      return;
    }
    for (const [k, v] of describeRelease(r.release)) writeOut(ctx, `${k.padEnd(9)} ${v}`);
  },
});

/** Human-readable lines for a resolved release. */
function describeRelease(r: ResolvedRelease): [string, string][] {
  const rows: [string, string][] = [
    ['release', `${r.channel} ${r.board} ${r.version}`],
    ['source', r.source],
    ['verify', r.verifyKey ?? '(--verify-key)'],
  ];
  if (r.aws) {
    rows.push(['aws', `AMI ${r.aws.amiName} from ${r.aws.image} (${r.aws.format})`]);
    for (const p of r.aws.partitions)
      rows.push([
        '',
        `${p.name}: s3://${p.bucket} (${p.bucketRegion}), profile ${p.profile}, ${p.regions.length} region(s): ${p.regions.join(' ')}`,
      ]);
  }
  if (r.gce)
    rows.push([
      'gce',
      `image ${r.gce.imageName} in ${r.gce.project} family ${r.gce.family} from ${r.gce.image}, staged at ${r.gce.staging}, keep ${r.gce.limit} older`,
    ]);
  if (r.azure) {
    rows.push([
      'azure',
      `page blob ${r.azure.blobs.replace(/\/?$/, '/')}${r.azure.blobName} from ${r.azure.image}`,
    ]);
    if (r.azure.gallery)
      rows.push([
        '',
        `gallery ${r.azure.gallery.resourceGroup}/${r.azure.gallery.name}/${r.azure.gallery.imageDefinition} version ${r.azure.gallery.version} in ${r.azure.gallery.regions.join(' ')}`,
      ]);
  }
  for (const s of r.storage)
    rows.push([
      'storage',
      `${s.url} ${s.paths.join(', ')}${s.index ? ' (index pages)' : ''}${s.delete ? ' (exact copies)' : ''}`,
    ]);
  return rows;
}
