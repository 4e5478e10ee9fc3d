// `pilot <engine> remove --app PATH | --container/--vm/--name NAME`.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@mantle/core/log';
import type { Engine } from '../flake/schema.js';
import { checkImageName, flakesUsing, removeApp, type RemoveResult, type Store } from './registry.js';

export interface RemoveOptions {
  app?: string | undefined;
  /** the container, VM or root filesystem name: all its apps go, then the image itself */
  image?: string | undefined;
  force: boolean;
  logger?: Logger;
}

/** Remove one app, or every app of an image and the image. */
export async function removeEngineApps(
  store: Store,
  engine: Engine,
  o: RemoveOptions,
): Promise<RemoveResult & { image?: string; imageRemoved?: boolean }> {
  if (o.app) return removeApp(store, o.app, engine, o.force);
  const image =
    engine === 'podman' ? o.image! : checkImageName(engine === 'vm' ? '--vm' : '--name', o.image!);
  const removed: RemoveResult['removed'] = [];
  for (const f of await flakesUsing(store, engine, image))
    removed.push(...(await removeApp(store, f.app, engine, true)).removed);
  let imageRemoved = false;
  if (engine === 'podman') {
    const { removeImage } = await import('../podman/images.js');
    imageRemoved = await removeImage(store, image, o.logger);
  } else if (engine === 'vm') {
    await rm(join(store.config.vmRegistryDir, 'images', image), { recursive: true, force: true });
    imageRemoved = true;
  } else {
    // only root filesystems pilot unpacked itself (--image) live in bwrap_dir
    await rm(join(store.config.bwrapDir, image), { recursive: true, force: true });
    imageRemoved = true;
  }
  return { removed, image, imageRemoved };
}
