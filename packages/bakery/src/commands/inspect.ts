import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import { checkInputPath } from '@mantle/core/fs';
import type { SysextInspection } from '../read/inspect-sysext.js';

/** `bakery inspect IMG [--files] [--json]`. */
export const inspectSpec = defineCommand({
  command: 'inspect <image>',
  examples: [
    ['$0 inspect docker-27.3.1-x86-64.raw', 'name, version, extension-release fields and size'],
    ['$0 inspect --files docker-27.3.1-x86-64.raw | head', 'the first files of the image'],
  ],
  describe: 'show what a sysext image holds: format, metadata, units, Upholds=, files',
  builder: (y) =>
    y
      .positional('image', { type: 'string', demandOption: true, describe: 'the sysext image (.raw)' })
      .option('files', { type: 'boolean', default: false, describe: 'list every file (always in --json)' }),
  run: async (a, ctx) => {
    const { inspectSysext } = await import('../read/inspect-sysext.js');
    const image = await checkInputPath(a.image, { cwd: ctx.cwd, flag: 'IMAGE' });
    const r = await inspectSysext(image, { logger: ctx.logger, env: ctx.env });
    return ctx.json ? r : { ...r, showFiles: a.files };
  },
  print: (r: SysextInspection & { showFiles?: boolean }, ctx: CommandContext) => {
    writeOut(ctx, `${r.image}`);
    writeOut(
      ctx,
      `  format      ${r.format}, ${r.size} bytes (${r.contentBytes} bytes in ${r.counts.files} files, ${r.counts.dirs} dirs, ${r.counts.symlinks} symlinks)`,
    );
    writeOut(
      ctx,
      `  loaded as   ${r.imageName}${r.release ? ` (release ${r.release.name} ${r.release.version} ${r.release.arch})` : ''}`,
    );
    if (r.metadata.length === 0) writeOut(ctx, '  metadata    none (systemd will not merge it)');
    for (const m of r.metadata) {
      writeOut(ctx, `  metadata    extension-release.${m.name}${m.error ? `: ${m.error}` : ''}`);
      for (const [k, v] of Object.entries(m.fields)) writeOut(ctx, `                ${k}=${v}`);
    }
    writeOut(ctx, `  top level   ${r.topLevel.join(' ') || '(empty)'}`);
    if (r.units.length > 0) writeOut(ctx, `  units       ${r.units.join(' ')}`);
    for (const s of r.starts)
      writeOut(
        ctx,
        `  starts      ${s.target} ${s.via === 'Upholds=' ? 'upholds' : s.via} ${s.unit}  (${s.path})`,
      );
    if (r.showFiles) {
      for (const f of r.files) {
        writeOut(
          ctx,
          `  ${f.type === 'dir' ? 'd' : f.type === 'symlink' ? 'l' : f.type === 'file' ? '-' : '?'} ${f.mode.toString(8).padStart(4, '0')} ${f.uid}:${f.gid} ${String(f.size).padStart(10)} ${f.path}${f.target !== undefined ? ` -> ${f.target}` : ''}`,
        );
      }
    }
  },
});
