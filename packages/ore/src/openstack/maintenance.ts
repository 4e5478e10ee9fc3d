import type { Logger } from '@mantle/core/log';
import type { RestClient } from '../cloud/rest-client.js';
import { deleteOpenStackImage, listOpenStackImages } from './images.js';
import type { OpenStackSession } from './keystone.js';

interface NovaServer {
  id: string;
  name: string;
  created: string;
  status: string;
  metadata?: Record<string, string>;
}

/** What `ore openstack gc` removed. */
export interface OpenStackGcResult {
  region: string;
  olderThan: string;
  servers: { id: string; name: string; created: string }[];
  images: { id: string; name: string; created: string }[];
}

async function listServers(nova: RestClient): Promise<NovaServer[]> {
  const out: NovaServer[] = [];
  let next: string | undefined = nova.url('/servers/detail', { limit: 100 });
  while (next) {
    const page: { body: { servers?: NovaServer[]; servers_links?: { rel: string; href: string }[] } } =
      await nova.request('GET', next, { what: 'listing servers', dryRunAnswer: { servers: [] } });
    out.push(...(page.body.servers ?? []));
    next = page.body.servers_links?.find((l) => l.rel === 'next')?.href;
  }
  return out;
}

/**
 * Delete what kola and ore made that is older than `olderThanMs`: servers with metadata
 * CreatedBy=mantle (Nova) and images tagged mantle (Glance), as Go mantle's gc does.
 */
export async function gcOpenStack(
  session: OpenStackSession,
  opts: { olderThanMs: number; olderThan: string; now?: Date; logger?: Logger },
): Promise<OpenStackGcResult> {
  const cutoff = (opts.now ?? new Date()).getTime() - opts.olderThanMs;
  const old = (created: string): boolean => Date.parse(created) < cutoff;
  const out: OpenStackGcResult = {
    region: session.region,
    olderThan: opts.olderThan,
    servers: [],
    images: [],
  };
  if (session.compute) {
    const servers = (await listServers(session.compute)).filter(
      (s) => s.metadata?.CreatedBy === 'mantle' && !s.status.includes('DELETED') && old(s.created),
    );
    for (const s of servers) {
      try {
        await session.compute.request('DELETE', `/servers/${s.id}`, { what: `deleting server ${s.name}` });
      } catch (err) {
        if ((err as { status?: number }).status !== 404) throw err;
      }
      opts.logger?.info(`deleted server ${s.name} (${s.id})`);
      out.servers.push({ id: s.id, name: s.name, created: s.created });
    }
  }
  for (const i of (await listOpenStackImages(session.image)).filter((x) => old(x.created))) {
    if (await deleteOpenStackImage(session.image, i.id)) {
      opts.logger?.info(`deleted image ${i.name} (${i.id})`);
      out.images.push({ id: i.id, name: i.name, created: i.created });
    }
  }
  return out;
}
