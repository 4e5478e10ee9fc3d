import type { ObjectInfo } from '@mantle/ore/storage';

/** The page every "directory" gets. */
export const INDEX_NAME = 'index.html';

/** One "directory" of a store: its sub-directories (names) and objects, naturally sorted. */
export interface DirEntry {
  /** '' for the root, else `a/b/` */
  dir: string;
  dirs: string[];
  files: ObjectInfo[];
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/** True for the index pages plume writes (they are never listed on a page). */
export function isIndexPage(key: string): boolean {
  return key === INDEX_NAME || key.endsWith(`/${INDEX_NAME}`);
}

/**
 * Group a recursive listing into directories. Every ancestor of an object is a directory, so a
 * page exists for each level; the index pages themselves and folder placeholder objects
 * (keys ending in `/`) are not content.
 */
export function buildTree(objects: Iterable<ObjectInfo>): Map<string, DirEntry> {
  const tree = new Map<string, DirEntry>();
  const dirOf = (dir: string): DirEntry => {
    let d = tree.get(dir);
    if (!d) {
      d = { dir, dirs: [], files: [] };
      tree.set(dir, d);
      if (dir !== '') {
        const parent = parentDir(dir);
        dirOf(parent).dirs.push(dir.slice(parent.length, -1));
      }
    }
    return d;
  };
  dirOf('');
  for (const o of objects) {
    if (o.isPrefix || o.key.endsWith('/') || isIndexPage(o.key)) continue;
    const slash = o.key.lastIndexOf('/');
    dirOf(o.key.slice(0, slash + 1)).files.push(o);
  }
  for (const d of tree.values()) {
    d.dirs.sort(collator.compare);
    d.files.sort((a, b) => collator.compare(a.key, b.key));
  }
  return tree;
}

/** `a/b/` → `a/`; `a/` → ''. */
export function parentDir(dir: string): string {
  const i = dir.slice(0, -1).lastIndexOf('/');
  return dir.slice(0, i + 1);
}
