// `include:` of a flake as tar streams: every `tar` archive, then all `path`s packed by tar.
// Paths are checked (absolute, no ..) and must exist before anything is read; with
// `%ignore_sync_error` a missing one is skipped with a warning instead.
import { join } from 'node:path';
import { resolveInRoot } from '@mantle/core/fs';
import { Readable } from 'node:stream';
import { raise } from '../launch/raise.js';
import type { LaunchContext } from '../launch/context.js';
import { hostView, type HostView } from '../store/layout.js';
import { confinedHostPath } from './paths.js';
import { tarCheck, UnsafeTarEntry } from './tar-check.js';
import { archiveSource, hostPathsSource, type TarSource } from './tar-source.js';

export interface IncludeContext {
  host: HostView;
  env: NodeJS.ProcessEnv;
  flakeFile: string;
  ignoreSyncError: boolean;
  warn: (message: string) => void;
}

/** The include context of a launch (its root, environment, warnings and %ignore_sync_error). */
export function launchIncludeContext(ctx: LaunchContext, flakeFile: string): IncludeContext {
  return {
    host: hostView(ctx.resolved.config.root),
    env: ctx.env,
    flakeFile,
    ignoreSyncError: ctx.args.options.has('ignore_sync_error'),
    warn: ctx.warn,
  };
}

export interface IncludeSource {
  what: string;
  open: () => Promise<TarSource>;
}

/** The path where it really is (resolved inside the root), or undefined when skipped. */
async function checked(c: IncludeContext, key: string, path: string): Promise<string | undefined> {
  if (confinedHostPath(path) === undefined)
    await raise('input', {
      code: 'INCLUDE_PATH_INVALID',
      message: `${c.flakeFile}: include.${key}: ${JSON.stringify(path)} is not an absolute path without ..`,
      hint: 'write includes as absolute host paths',
    });
  const resolved = await resolveInRoot(c.host.root, path, { what: `${c.flakeFile}: include.${key}` });
  if (resolved) return resolved;
  if (c.ignoreSyncError) {
    c.warn(`include.${key} ${path} does not exist (skipped: %ignore_sync_error)`);
    return undefined;
  }
  return raise('input', {
    code: 'INCLUDE_MISSING',
    message: `${c.flakeFile}: include.${key}: ${c.host.path(path)} does not exist`,
    hint: 'fix the path in the flake, or pass %ignore_sync_error to start without it',
  });
}

/** The include sources of a flake, checked. */
export async function includeSources(
  c: IncludeContext,
  include: { tar?: string[] | null; path?: string[] | null } | null | undefined,
): Promise<IncludeSource[]> {
  const out: IncludeSource[] = [];
  for (const tar of include?.tar ?? []) {
    const real = await checked(c, 'tar', tar);
    if (real === undefined) continue;
    out.push({
      what: `include.tar ${tar}`,
      open: () => Promise.resolve(archiveSource(join(c.host.root, real), c.env)),
    });
  }
  // one archive per path: two paths that resolve to the same place must not rename each other
  for (const path of include?.path ?? [])
    if ((await checked(c, 'path', path)) !== undefined)
      out.push({
        what: `include.path ${path}`,
        open: () => hostPathsSource(c.host.root, [path], c.env, false),
      });
  return out;
}

/** All sources as one checked tar stream (end blocks between them removed, one at the end). */
export function joinedTarStream(c: IncludeContext, sources: IncludeSource[]): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const s of sources) {
      const src = await s.open();
      const check = tarCheck({ stripEnd: true });
      src.stream.pipe(check);
      src.stream.on('error', (e) => check.destroy(e));
      try {
        for await (const chunk of check) yield chunk as Buffer;
      } catch (err) {
        if (err instanceof UnsafeTarEntry)
          await raise('input', {
            code: 'INCLUDE_UNSAFE',
            message: `${c.flakeFile}: ${s.what}: ${err.message}; nothing of it may be unpacked`,
            hint: 'tar entries must be relative paths without .. (and no device nodes); rebuild the archive',
          });
        throw err;
      }
      const done = await src.done;
      if (done && done.code !== 0)
        await raise('operation', {
          code: 'PROVISION_FAILED',
          message: `${s.what}: reading it failed: ${done.stderr.trim()}`,
        });
    }
    yield Buffer.alloc(1024);
  }
  return Readable.from(chunks());
}
