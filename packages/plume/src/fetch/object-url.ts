import { InputError } from '@mantle/core/errors';
import { openStore, type ObjectStore, type OpenStoreOptions } from '@mantle/ore/storage';

/** An object URL split into the store that holds it and its key. */
export interface ObjectRef {
  /** the store URL, ending in `/` (file:///dir/, s3://bucket/prefix/, ...) */
  store: string;
  key: string;
}

/** True for http(s) URLs, which are fetched directly rather than through a store. */
export function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url) && !/^https:\/\/[^/]+\.blob\.core\.windows\.net\//i.test(url);
}

/** Split `s3://bucket/dir/file` into `s3://bucket/dir/` + `file` (likewise gs://, azure://, file://). */
export function splitObjectUrl(url: string): ObjectRef {
  const slash = url.lastIndexOf('/');
  const key = url.slice(slash + 1);
  if (!key || slash < 0)
    throw new InputError({
      code: 'PLUME_BAD_OBJECT_URL',
      message: `${url} names a directory, not an object`,
      hint: 'give the URL of a file, e.g. s3://bucket/dir/flatcar_production_image.bin.bz2',
      details: { url },
    });
  return { store: url.slice(0, slash + 1), key: decodeURIComponent(key) };
}

/** Opens stores once per URL and closes them all at the end. */
export class StorePool {
  private readonly open = new Map<string, Promise<ObjectStore>>();
  constructor(private readonly opts: OpenStoreOptions) {}

  /** The store at `url` (opened on first use). */
  get(url: string): Promise<ObjectStore> {
    let s = this.open.get(url);
    if (!s) {
      s = openStore(url, this.opts);
      this.open.set(url, s);
    }
    return s;
  }

  /** The store holding an object URL and the object's key in it. */
  async object(url: string): Promise<{ store: ObjectStore; key: string }> {
    const ref = splitObjectUrl(url);
    return { store: await this.get(ref.store), key: ref.key };
  }

  async close(): Promise<void> {
    const stores = await Promise.allSettled(this.open.values());
    this.open.clear();
    for (const s of stores) if (s.status === 'fulfilled') await s.value.close().catch(() => undefined);
  }
}
