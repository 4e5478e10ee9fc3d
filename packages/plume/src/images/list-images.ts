import { listAll, type ObjectStore } from '@mantle/ore/storage';
import { CHECKSUM_NAME, PACKAGES_NAME, parseImageKey } from './layout.js';

/** One image in an image store. */
export interface StoredImage {
  root: string;
  os: string;
  /** major.minor */
  version: string;
  /** the full version when the root is a release date: major.minor.YYYYMMDD */
  fullVersion?: string;
  /** metal-api's image id, e.g. debian-12.0.20261207 (or debian-12.0 for stable/PR roots) */
  id: string;
  url: string;
  bytes: number;
  modified?: string;
  /** the hex md5 the checksum file holds */
  md5?: string;
  hasPackages: boolean;
}

/** Every image of a metal-images store, sorted by root, os and version. */
export async function listImages(store: ObjectStore): Promise<StoredImage[]> {
  const all = await listAll(store, '', { recursive: true });
  const keys = new Set(all.map((o) => o.key));
  const out: StoredImage[] = [];
  for (const o of all) {
    const p = parseImageKey(o.key);
    if (!p) continue;
    const dir = o.key.slice(0, -'img.tar.lz4'.length);
    let md5: string | undefined;
    if (keys.has(`${dir}${CHECKSUM_NAME}`)) {
      const chunks: Buffer[] = [];
      for await (const c of await store.get(`${dir}${CHECKSUM_NAME}`)) chunks.push(c as Buffer);
      md5 = /^[0-9a-f]{32}/i.exec(Buffer.concat(chunks).toString('utf8').trim())?.[0]?.toLowerCase();
    }
    const dated = /^\d{8}$/.test(p.root);
    const fullVersion = dated ? `${p.majorMinor}.${p.root}` : undefined;
    out.push({
      root: p.root,
      os: p.os,
      version: p.majorMinor,
      ...(fullVersion ? { fullVersion } : {}),
      id: `${p.os}-${fullVersion ?? p.majorMinor}`,
      url: store.url(o.key),
      bytes: o.size,
      ...(o.modified ? { modified: o.modified.toISOString() } : {}),
      ...(md5 ? { md5 } : {}),
      hasPackages: keys.has(`${dir}${PACKAGES_NAME}`),
    });
  }
  const collator = new Intl.Collator('en', { numeric: true });
  return out.sort(
    (a, b) =>
      collator.compare(a.root, b.root) ||
      collator.compare(a.os, b.os) ||
      collator.compare(a.version, b.version),
  );
}
