import { defineCommand, writeOut } from '@mantle/core/cli';
import type { CreateBaseResult } from '../esx/create-base.js';
import type { EsxVm } from '../esx/inventory.js';
import type { RemoveVmsResult } from '../esx/remove-vms.js';
import { esxCommonOptions, openEsx } from './esx-common.js';

/** `ore esx create-base --file OVA --name N` */
export const esxCreateBaseCommand = defineCommand({
  command: 'create-base',
  examples: [
    [
      '$0 esx create-base --file flatcar_production_vmware_ova.ova --name flatcar-4081.2.0',
      'import the OVA as a VM; prints its name',
    ],
  ],
  describe: 'import an OVA (OVF descriptor + streamOptimized VMDK) as a new VM; prints its name',
  builder: (y) =>
    esxCommonOptions(
      y
        .option('file', { type: 'string', demandOption: true, normalize: true, describe: 'the OVA' })
        .option('name', { type: 'string', demandOption: true, describe: 'name of the new VM' })
        .option('template', { type: 'boolean', default: false, describe: 'mark the VM as a template' })
        .option('esx-network', {
          type: 'string',
          describe: "the host network the OVF's networks are mapped to (default: the host's first)",
        }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { checkInputPath } = await import('@mantle/core/fs');
    const { readOva } = await import('../esx/ova.js');
    const { createBase } = await import('../esx/create-base.js');
    const { createProgress } = await import('../convert/progress.js');
    const { InputError } = await import('@mantle/core/errors');
    if (args.name.trim() === '' || args.name.length > 80 || /[/\\%]/.test(args.name))
      throw new InputError({
        code: 'ESX_BAD_NAME',
        message: `--name ${JSON.stringify(args.name)}: a VM name is 1 to 80 characters without / \\ or %`,
        hint: 'pick another name',
      });
    const path = await checkInputPath(args.file, { cwd: ctx.cwd, flag: '--file' });
    const ova = await readOva(path);
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const c = await openEsx(args, ctx, dry);
    try {
      const r = await createBase(c, {
        name: args.name,
        ova,
        template: args.template,
        ...(args.esxNetwork !== undefined ? { network: args.esxNetwork } : {}),
        logger: ctx.logger,
        signal: ctx.signal,
        progress: createProgress({ stream: ctx.stderr, logger: ctx.logger }),
      });
      return dry ? { ...r, dryRun: dry.calls } : r;
    } finally {
      await c.logout();
    }
  },
  print: (r: CreateBaseResult, ctx) => writeOut(ctx, r.name),
});

/** `ore esx list-vms [--pattern GLOB]` */
export const esxListVmsCommand = defineCommand({
  command: 'list-vms',
  examples: [['$0 esx list-vms --pattern "flatcar-*" --json', 'the matching VMs as JSON']],
  describe: 'list the VMs (name, power state, template, id)',
  builder: (y) =>
    esxCommonOptions(
      y.option('pattern', { type: 'string', default: '*', describe: 'only names matching this glob' }),
    ),
  run: async (args, ctx) => {
    const { listVms, vmNameMatcher } = await import('../esx/inventory.js');
    const matches = vmNameMatcher(args.pattern);
    const c = await openEsx(args, ctx);
    try {
      return (await listVms(c)).filter((v) => matches(v.name));
    } finally {
      await c.logout();
    }
  },
  print: (vms: EsxVm[], ctx) => {
    for (const v of vms)
      writeOut(ctx, `${v.name}\t${v.powerState}\t${v.template ? 'template' : 'vm'}\t${v.id}`);
  },
});

/** `ore esx remove-vms --name N... | --pattern GLOB` */
export const esxRemoveVmsCommand = defineCommand({
  command: 'remove-vms',
  examples: [
    ['$0 esx remove-vms --pattern "kola-*"', 'power off and remove every VM whose name starts with kola-'],
    ['$0 esx remove-vms --name flatcar-4081.2.0 --dry-run', 'show what would be removed'],
  ],
  describe: 'power off and remove VMs by name (each must exist) or glob; prints the names removed',
  builder: (y) =>
    esxCommonOptions(
      y
        .option('name', { type: 'string', array: true, describe: 'VM name (must exist)' })
        .option('pattern', { type: 'string', describe: 'every VM whose name matches this glob' })
        .check((a) => {
          if ((a.name?.length ?? 0) === 0 && a.pattern === undefined)
            throw new Error('give --name or --pattern');
          return true;
        }),
    ),
  run: async (args, ctx) => {
    const { DryRun } = await import('../cloud/dry-run.js');
    const { removeVms } = await import('../esx/remove-vms.js');
    const dry = args.dryRun ? new DryRun(ctx.logger) : undefined;
    const c = await openEsx(args, ctx, dry);
    try {
      const r = await removeVms(c, {
        names: (args.name ?? []).map(String),
        ...(args.pattern !== undefined ? { pattern: args.pattern } : {}),
        logger: ctx.logger,
      });
      if (r.removed.length === 0) ctx.logger.info('no VM matches: nothing to remove');
      return dry ? { ...r, dryRun: dry.calls } : r;
    } finally {
      await c.logout();
    }
  },
  print: (r: RemoveVmsResult, ctx) => {
    for (const v of r.removed) writeOut(ctx, v.name);
  },
});
