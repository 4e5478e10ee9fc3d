import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { ValidateResult } from '../read/validate-sysext.js';

/** `bakery validate IMG (--against OS_RELEASE | --os ID [...])`: exit 0 mergeable, 1 not, 2 bad input. */
export const validateSpec = defineCommand({
  command: 'validate <image>',
  examples: [
    [
      '$0 validate docker-27.3.1-x86-64.raw --os flatcar --arch x86-64',
      'would systemd-sysext merge it on Flatcar x86-64?',
    ],
    ['$0 validate docker.raw --against /etc/os-release', "check it against this host's os-release"],
  ],
  describe: 'tell whether systemd-sysext would merge an image on a host, and if not, why (exit 0 yes, 1 no)',
  builder: (y) =>
    y
      .positional('image', {
        type: 'string',
        demandOption: true,
        describe:
          'the image, by the path it will be loaded from (its file or symlink name is the name systemd uses)',
      })
      .option('against', { type: 'string', describe: "the host's os-release file" })
      .option('os', { type: 'string', describe: 'host ID= (instead of --against)' })
      .option('version-id', { type: 'string', describe: 'host VERSION_ID=' })
      .option('sysext-level', { type: 'string', describe: 'host SYSEXT_LEVEL=' })
      .option('arch', { type: 'string', describe: 'host architecture (default: this machine)' })
      .option('name', {
        type: 'string',
        describe: 'the name it will be loaded under, if not its file name (/etc/extensions/NAME.raw)',
      }),
  run: async (a, ctx) => {
    const { validateSysext } = await import('../read/validate-sysext.js');
    const r = await validateSysext(a.image, {
      ...(a.against !== undefined ? { against: a.against } : {}),
      ...(a.os !== undefined ? { os: a.os } : {}),
      ...(a.versionId !== undefined ? { versionId: String(a.versionId) } : {}),
      ...(a.sysextLevel !== undefined ? { sysextLevel: String(a.sysextLevel) } : {}),
      ...(a.arch !== undefined ? { arch: a.arch } : {}),
      ...(a.name !== undefined ? { name: a.name } : {}),
      cwd: ctx.cwd,
      env: ctx.env,
      logger: ctx.logger,
    });
    if (!r.mergeable) ctx.setExitCode(1);
    return r;
  },
  print: (r: ValidateResult, ctx: CommandContext) => {
    const host = `${r.host.id}${r.host.versionId ? ` VERSION_ID=${r.host.versionId}` : ''}${r.host.sysextLevel ? ` SYSEXT_LEVEL=${r.host.sysextLevel}` : ''} ${r.host.arch}`;
    writeOut(
      ctx,
      `${r.image}: ${r.mergeable ? 'mergeable' : 'NOT mergeable'} as ${JSON.stringify(r.imageName)} on ${host}`,
    );
    for (const f of r.reasons) {
      writeOut(ctx, `  - ${f.message} [${f.code}]`);
      if (f.hint) writeOut(ctx, `    fix: ${f.hint}`);
    }
    for (const w of r.warnings) {
      writeOut(ctx, `  warning: ${w.message} [${w.code}]`);
      if (w.hint) writeOut(ctx, `    fix: ${w.hint}`);
    }
  },
});
