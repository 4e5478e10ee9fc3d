// include.tar for bwrap flakes: the root filesystem can not take the archives (it is shared by
// every call and read-only to them), so each instance gets a layer of its own in the caller's
// private ids dir (`<ids>/<uid>/<app>@NAME.bwrap/`), filled before the sandbox starts:
//   bubblewrap >= 0.11  `layer/` holds just the unpacked archives, laid as a second lower
//                       directory over the root filesystem (--overlay-src ROOTFS --overlay-src
//                       layer --tmp-overlay /): the archives' files win, writes go to memory
//   before 0.11         `layer/` is a copy of the root filesystem (hard links when root makes
//                       it, reflinks or copies otherwise) with the archives unpacked over it;
//                       bound read-only as the root (tar replaces a file by unlinking it, so a
//                       hard-linked original is never written through)
// The archives pass provision/'s tar check on their way to tar: no absolute names, no '..', no
// hard links out of the layer, no device nodes; symlinks stay as they are, since they are read
// inside the sandbox where `/` is its root. `%ignore_sync_error` skips a missing archive.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LaunchContext } from '../launch/context.js';
import { raise } from '../launch/raise.js';

export interface Layer {
  /** the directory to use: the whole root (no overlay), or the layer over the root (overlay) */
  dir: string;
  remove(): void;
}

function runTool(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: NodeJS.ReadableStream) {
  return new Promise<{ code: number; stderr: string }>((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, stderr }));
    if (input) {
      p.stdin!.on('error', () => {});
      input.on('error', (err) => {
        p.kill('SIGKILL');
        reject(err as Error);
      });
      input.pipe(p.stdin!);
    }
  });
}

/** Make (or, for a kept sandbox, find) the instance's layer in `base` (`<ids>/<app>@NAME.bwrap`). */
export async function prepareLayer(
  ctx: LaunchContext,
  o: { base: string; rootfs: string; tars: string[]; overlay: boolean; flakeFile: string },
): Promise<Layer> {
  const dir = join(o.base, 'layer');
  const remove = (): void => rmSync(o.base, { recursive: true, force: true });
  rmSync(o.base, { recursive: true, force: true });
  mkdirSync(o.base, { mode: 0o700 });
  try {
    const asRoot = process.getuid?.() === 0;
    if (o.overlay) mkdirSync(dir);
    else {
      const cp = await runTool('cp', ['-a', asRoot ? '-l' : '--reflink=auto', '--', o.rootfs, dir], ctx.env);
      if (cp.code !== 0)
        await raise('operation', {
          code: 'BWRAP_LAYER_FAILED',
          message: `${o.flakeFile}: copying the root filesystem for include.tar failed: ${cp.stderr.trim()}`,
          hint: `is there room in ${o.base}?`,
        });
    }
    const { includeSources, joinedTarStream, launchIncludeContext } =
      await import('../provision/includes.js');
    const ic = launchIncludeContext(ctx, o.flakeFile);
    const sources = await includeSources(ic, { tar: o.tars });
    const tar = await runTool(
      'tar',
      ['-x', '-f', '-', '-C', dir, ...(asRoot ? [] : ['--no-same-owner'])],
      ctx.env,
      joinedTarStream(ic, sources),
    );
    if (tar.code !== 0)
      await raise('operation', {
        code: 'PROVISION_FAILED',
        message: `${o.flakeFile}: unpacking include.tar failed: ${tar.stderr.trim()}`,
      });
    return { dir, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
