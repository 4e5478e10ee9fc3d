import { InputError } from '@mantle/core/errors';
import type { RestClient } from '../cloud/rest-client.js';
import { doListAll } from './client.js';

interface DoRegion {
  slug: string;
  name: string;
  available: boolean;
}

/** A region slug the account can use (GET /v2/regions); else exit 2 naming the flag and the known ones. */
export async function checkDoRegion(api: RestClient, region: string, flag = '--region'): Promise<void> {
  if (api.options.dryRun) return;
  const regions = await doListAll<DoRegion>(api, '/regions', 'regions', {}, 'listing regions');
  const r = regions.find((x) => x.slug === region);
  if (r?.available) return;
  const known = regions.filter((x) => x.available).map((x) => x.slug);
  throw new InputError({
    code: 'DO_UNKNOWN_REGION',
    message: r
      ? `${flag} ${region} (${r.name}) is not available to new resources`
      : `${flag} ${JSON.stringify(region)} is not a DigitalOcean region`,
    hint: `use one of: ${known.join(', ')}`,
    details: { flag, value: region, known },
  });
}
