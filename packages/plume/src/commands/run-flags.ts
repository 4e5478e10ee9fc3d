import type { Argv } from 'yargs';
import { releaseFlags, storeFlags } from './flags.js';

/** The flags of pre-release and release: -C/-B/-V, --spec, the stores, the journal. */
export function runFlags<T>(y: Argv<T>) {
  return storeFlags(releaseFlags(y))
    .option('state', {
      type: 'string',
      describe: 'where run journals are kept (a store URL; default file://$XDG_STATE_HOME/mantle/plume)',
    })
    .option('resume', { type: 'boolean', default: false, describe: 'continue an interrupted run' })
    .option('restart', {
      type: 'boolean',
      default: false,
      describe: 'forget an interrupted run and do every step again (steps are idempotent)',
    })
    .option('cache-dir', {
      type: 'string',
      describe: 'downloads and conversions (default $XDG_CACHE_HOME/mantle/plume)',
    })
    .option('verify-key', {
      type: 'string',
      describe: 'public key the build is signed with (default: the channel’s verifyKey in the spec)',
    })
    .option('poll-interval', {
      type: 'number',
      default: 15,
      describe: 'seconds before the first poll of a cloud operation (backoff after)',
    });
}
