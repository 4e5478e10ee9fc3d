import { defineCommand, writeOut } from '@mantle/core/cli';
import type { CleanupResultData } from '../run/cleanup-command.js';

/** `kola cleanup [RUN]`: delete what a (killed) cloud run left, from its state file. */
export const cleanupSpec = defineCommand({
  command: 'cleanup [run]',
  examples: [
    ['$0 cleanup --list', 'list machines and temp dirs that runs left behind'],
    ['$0 cleanup', 'stop and remove what interrupted runs left behind'],
  ],
  describe:
    'delete the cloud resources a kola run created (RUN: its id or state file; default: every unfinished run whose kola is gone)',
  builder: (y) =>
    y
      .positional('run', { type: 'string', describe: 'run id (kola-YYYYMMDD-HHMM-xxxxxx) or state file' })
      .option('list', { type: 'boolean', default: false, describe: 'list the runs in the state dir' })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'clean up a run even though its kola seems to still run',
      })
      .option('aws-profile', { type: 'string', describe: "aws: credentials profile (default: the run's)" })
      .option('aws-config-file', {
        alias: 'aws-credentials-file',
        type: 'string',
        describe: 'aws: credentials file',
      })
      .option('gce-json-key', {
        alias: 'gce-config-file',
        type: 'string',
        describe: "gcloud: service-account JSON key (default: the run's)",
      })
      .option('azure-profile', { type: 'string', describe: "azure: subscription (default: the run's)" })
      .option('azure-config-file', {
        alias: 'azure-auth',
        type: 'string',
        describe: "azure: SDK auth file (default: the run's)",
      }),
  run: async (a, ctx) => {
    const { cleanupCommand } = await import('../run/cleanup-command.js');
    return cleanupCommand(
      {
        run: a.run,
        list: a.list,
        force: a.force,
        awsProfile: a.awsProfile,
        awsConfigFile: a.awsConfigFile,
        gceJsonKey: a.gceJsonKey,
        azureProfile: a.azureProfile,
        azureConfigFile: a.azureConfigFile,
      },
      ctx,
    );
  },
  print: (r: CleanupResultData, ctx) => {
    if (r.list) {
      for (const s of r.list)
        writeOut(
          ctx,
          `${s.runId}\t${s.platform}\t${s.finished ? 'finished' : s.live ? 'running' : 'unfinished'}\t${s.open.length} open\t${s.startedAt}`,
        );
      return;
    }
    for (const run of r.runs) {
      for (const d of run.deleted) writeOut(ctx, `${run.runId}: deleted ${d.kind} ${d.id}`);
      if (run.deleted.length === 0) writeOut(ctx, `${run.runId}: nothing left to delete`);
    }
  },
});
