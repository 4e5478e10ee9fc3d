import type { Logger } from '@mantle/core/log';
import type { RestClient } from '../cloud/rest-client.js';
import { DO_MANTLE_TAG, doListAll } from './client.js';
import { deleteDoImageById, listDoImages } from './images.js';

interface DoDroplet {
  id: number;
  name: string;
  created_at: string;
  status: string;
}

/** What `ore do gc` removed. */
export interface DoGcResult {
  olderThan: string;
  droplets: { id: number; name: string; created: string }[];
  images: { id: number; name: string; created: string }[];
}

/** Delete droplets and images tagged `mantle` that are older than `olderThanMs`. */
export async function gcDo(
  api: RestClient,
  opts: { olderThanMs: number; olderThan: string; now?: Date; logger?: Logger },
): Promise<DoGcResult> {
  const cutoff = (opts.now ?? new Date()).getTime() - opts.olderThanMs;
  const old = (created: string): boolean => Date.parse(created) < cutoff;
  const out: DoGcResult = { olderThan: opts.olderThan, droplets: [], images: [] };
  const droplets = await doListAll<DoDroplet>(
    api,
    '/droplets',
    'droplets',
    { tag_name: DO_MANTLE_TAG },
    'listing droplets',
  );
  for (const d of droplets.filter((x) => old(x.created_at))) {
    try {
      await api.request('DELETE', `/droplets/${d.id}`, { what: `deleting droplet ${d.name}` });
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
    }
    opts.logger?.info(`deleted droplet ${d.name} (${d.id})`);
    out.droplets.push({ id: d.id, name: d.name, created: d.created_at });
  }
  for (const i of (await listDoImages(api)).filter((x) => old(x.created))) {
    await deleteDoImageById(api, i.id, opts.logger ? { logger: opts.logger } : {});
    out.images.push({ id: i.id, name: i.name, created: i.created });
  }
  return out;
}
