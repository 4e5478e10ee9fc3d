// Butane's storage.trees: copy a directory under filesDir into the config, one storage.files
// entry per regular file (embedded as a data URL) and one storage.links entry per symlink.
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { isAbsolute, join, posix, relative, resolve } from 'node:path';
import { encodeContents } from './data-url.js';
import type { ProblemList } from './problems.js';

type Obj = Record<string, unknown>;

/** Options the tree walk needs from butaneToIgnition. */
export interface TreeOptions {
  filesDir?: string;
  compress?: boolean;
}

/** Expand storage.trees into files and links (in place); problems go to `p`. */
export function expandTrees(cfg: Obj, p: ProblemList, opts: TreeOptions): void {
  const storage = cfg.storage as Obj | undefined;
  const trees = storage?.trees as Obj[] | undefined;
  if (!storage || !trees) return;
  delete storage.trees;
  const files = ((storage.files as Obj[] | undefined) ?? []).slice();
  const links = ((storage.links as Obj[] | undefined) ?? []).slice();
  const dirs = (storage.directories as Obj[] | undefined) ?? [];
  trees.forEach((tree, i) => {
    const at = ['storage', 'trees', i];
    if (typeof tree.local !== 'string') return; // the walker already reported the missing key
    if (!opts.filesDir) {
      p.error(
        'IGNITION_LOCAL_NO_FILES_DIR',
        at,
        'a tree is read from the files directory, and none was given',
        'pass filesDir (butane -d/--files-dir)',
      );
      return;
    }
    const base = resolve(opts.filesDir);
    const src = resolve(join(base, tree.local));
    const rel = relative(base, src);
    if (rel === '..' || rel.startsWith('../') || isAbsolute(rel)) {
      p.error(
        'IGNITION_LOCAL_ESCAPE',
        [...at, 'local'],
        `tree ${JSON.stringify(tree.local)} leads outside the files directory`,
        'keep trees inside the files directory',
      );
      return;
    }
    try {
      const realRel = relative(realpathSync(base), realpathSync(src));
      if (realRel === '..' || realRel.startsWith('../') || isAbsolute(realRel)) {
        p.error(
          'IGNITION_LOCAL_ESCAPE',
          [...at, 'local'],
          `tree ${JSON.stringify(tree.local)} is a symlink leading outside the files directory`,
        );
        return;
      }
      if (!lstatSync(src).isDirectory()) {
        p.error(
          'IGNITION_TREE',
          [...at, 'local'],
          `tree ${JSON.stringify(tree.local)} is not a directory`,
          'point local at a directory under the files directory',
        );
        return;
      }
    } catch (err) {
      p.error(
        'IGNITION_LOCAL_READ',
        [...at, 'local'],
        `cannot read tree ${JSON.stringify(tree.local)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
      return;
    }
    const destBase = typeof tree.path === 'string' && tree.path !== '' ? tree.path : '/';
    const conflict = (dest: string): void =>
      p.error(
        'IGNITION_TREE',
        at,
        `${dest} from the tree is already in the config with contents or as another kind of entry`,
        'remove one of them',
      );
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir).sort()) {
        const full = join(dir, name);
        const st = lstatSync(full);
        const dest = posix.join(destBase, relative(src, full).split('\\').join('/'));
        if (st.isDirectory()) {
          walk(full);
        } else if (st.isFile()) {
          let file = files.find((f) => f.path === dest);
          if (
            file
              ? (file.contents as Obj | undefined)?.source !== undefined
              : links.some((l) => l.path === dest) || dirs.some((d) => d.path === dest)
          ) {
            conflict(dest);
            continue;
          }
          if (!file) {
            file = { path: dest };
            files.push(file);
            p.alias(at, ['storage', 'files', files.length - 1]);
          }
          const enc = encodeContents(readFileSync(full), { compress: opts.compress !== false });
          file.contents = {
            ...(file.contents as Obj | undefined),
            source: enc.source,
            compression: enc.compression,
          };
          // Like Butane: executable files get 0755, others 0644, unless the config says otherwise.
          if (file.mode === undefined) file.mode = st.mode & 0o111 ? 0o755 : 0o644;
        } else if (st.isSymbolicLink()) {
          let link = links.find((l) => l.path === dest);
          if (
            link
              ? link.target !== undefined
              : files.some((f) => f.path === dest) || dirs.some((d) => d.path === dest)
          ) {
            conflict(dest);
            continue;
          }
          if (!link) {
            link = { path: dest };
            links.push(link);
            p.alias(at, ['storage', 'links', links.length - 1]);
          }
          link.target = readlinkSync(full);
        } else {
          p.error(
            'IGNITION_TREE',
            at,
            `${relative(base, full)} is neither a file, a directory nor a symlink`,
            'trees may only hold files, directories and symlinks',
          );
        }
      }
    };
    walk(src);
  });
  if (files.length > 0) storage.files = files;
  if (links.length > 0) storage.links = links;
}
