import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InputError } from '@mantle/core/errors';
import { hasControlChars } from '@mantle/core/fs';
import { EXTENSION_RELEASE_DIR } from './extension-release.js';

// What systemd-sysext accepts in an extension, checked before anything is built: only /usr and
// /opt are merged (everything else is silently ignored, which is worse than an error), an image
// carrying usr/lib/os-release is refused, and on Flatcar /usr/sbin is a symlink that an extension
// directory would shadow. Symlinks are stored as they are; a relative one that climbs above the
// image root points nowhere once merged.

/** One reason a tree cannot become a sysext. */
export interface TreeProblem {
  code: string;
  /** path relative to the tree root */
  path: string;
  message: string;
}

export interface TreeCheckOptions {
  /** --os: the target OS ID (`flatcar` refuses usr/sbin) */
  os: string;
  /** allow setuid/setgid files (--allow-setuid) */
  allowSetuid?: boolean;
  /** paths (relative) bakery generates; the tree must not ship them */
  generated?: readonly string[];
  /**
   * the tree is a hard-link farm of another tree (flatwrap stages its root filesystem so): every
   * file then has one link outside per link inside, which is not reported
   */
  mirrored?: boolean;
}

export interface TreeSummary {
  files: number;
  dirs: number;
  symlinks: number;
  /** bytes of regular files */
  bytes: number;
  /** unit file names under usr/lib/systemd/system */
  units: string[];
  warnings: string[];
}

const TOP_LEVEL = new Set(['usr', 'opt']);
const UNIT_DIR = 'usr/lib/systemd/system';

/** Walk a source tree and check it can be a sysext; throws one InputError (exit 2) listing every problem. */
export async function checkTree(root: string, opts: TreeCheckOptions): Promise<TreeSummary> {
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new InputError({
      code: 'TREE_NOT_DIR',
      message: `--from ${root} is not a directory`,
      hint: 'pass the directory that holds usr/ (and opt/) of the extension',
      details: { field: '--from', path: root },
    });
  }
  const problems: TreeProblem[] = [];
  const summary: TreeSummary = { files: 0, dirs: 0, symlinks: 0, bytes: 0, units: [], warnings: [] };
  const generated = new Set(opts.generated ?? []);
  // Directories bakery writes generated files into: each must be a real directory of the tree (or
  // missing), never a symlink, or the metadata would land wherever the link points.
  const genDirs = new Map<string, string>();
  for (const g of generated) {
    const parts = g.split('/');
    for (let i = 1; i < parts.length; i++) genDirs.set(parts.slice(0, i).join('/'), g);
  }
  // Hard links: inode → links seen in the tree; more links than that means one is outside.
  const inodes = new Map<string, { path: string; nlink: number; seen: number }>();

  const top = readdirSync(root, { withFileTypes: true });
  if (top.length === 0 || !top.some((e) => TOP_LEVEL.has(e.name))) {
    problems.push({ code: 'TREE_EMPTY', path: '.', message: 'has neither usr/ nor opt/' });
  }
  const sbin = (p: string): void => {
    if (opts.os === 'flatcar')
      problems.push({
        code: 'TREE_USR_SBIN',
        path: p,
        message: "exists, but Flatcar's /usr/sbin is a symlink to bin that the extension would break",
      });
    else if (opts.os === '_any')
      summary.warnings.push(
        `${p} exists: on Flatcar (/usr/sbin is a symlink) this breaks the host; prefer usr/bin`,
      );
  };
  // Synchronous on purpose: on a 20 000-file tree the promise-per-lstat walk cost ~1 s of CPU, the
  // synchronous one a fifth of it, and nothing else runs while the tree is checked.
  const visit = (rel: string): void => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = posix.join(rel, e.name);
      if (hasControlChars(e.name)) {
        problems.push({
          code: 'TREE_BAD_FILENAME',
          path: JSON.stringify(p),
          message: 'has a newline or another control character in its name',
        });
        continue;
      }
      const genFor = genDirs.get(p);
      if (genFor !== undefined && !e.isDirectory()) {
        problems.push({
          code: 'TREE_GENERATED_DIR',
          path: p,
          message: `is ${e.isSymbolicLink() ? `a symlink (to ${readlinkSync(join(root, p))})` : 'not a directory'}, but bakery writes ${genFor} into it; make it a real directory of the tree`,
        });
        continue;
      }
      if (generated.has(p) && !e.isFile()) {
        problems.push({
          code: 'TREE_GENERATED_CONFLICT',
          path: p,
          message: 'is a path bakery generates (metadata or Upholds drop-in); remove it from the tree',
        });
        continue;
      }
      if (e.isDirectory()) {
        summary.dirs++;
        if (p === 'usr/sbin') sbin(p);
        if (p === EXTENSION_RELEASE_DIR) {
          for (const f of readdirSync(join(root, p))) {
            problems.push({
              code: 'TREE_HAS_METADATA',
              path: posix.join(p, f),
              message:
                'is extension metadata; bakery writes it from --os/--arch/--sysext-level, remove it from the tree',
            });
          }
        }
        visit(p);
      } else if (e.isSymbolicLink()) {
        summary.symlinks++;
        if (p === 'usr/sbin') sbin(p);
        const target = readlinkSync(join(root, p));
        // Absolute targets are resolved against the host at run time, as intended.
        if (!target.startsWith('/')) {
          const resolved = posix.normalize(posix.join(posix.dirname(p), target));
          if (resolved === '..' || resolved.startsWith('../')) {
            problems.push({
              code: 'TREE_SYMLINK_ESCAPES',
              path: p,
              message: `is a symlink to ${target}, which climbs above the image root`,
            });
          }
        }
      } else if (e.isFile()) {
        summary.files++;
        const st = lstatSync(join(root, p));
        summary.bytes += st.size;
        if (st.nlink > 1) {
          const key = `${st.dev}:${st.ino}`;
          const seen = inodes.get(key);
          if (seen) seen.seen++;
          else inodes.set(key, { path: p, nlink: st.nlink, seen: 1 });
        }
        if ((st.mode & 0o6000) !== 0 && !opts.allowSetuid) {
          problems.push({
            code: 'TREE_SETUID',
            path: p,
            message: `is ${st.mode & 0o4000 ? 'setuid' : 'setgid'} (mode ${(st.mode & 0o7777).toString(8)})`,
          });
        }
        if (p === 'usr/lib/os-release') {
          problems.push({
            code: 'TREE_OS_RELEASE',
            path: p,
            message: 'is the OS identity; systemd-sysext refuses extensions that carry it',
          });
        }
        if (generated.has(p)) {
          problems.push({
            code: 'TREE_GENERATED_CONFLICT',
            path: p,
            message: 'is a file bakery generates (metadata or Upholds drop-in); remove it from the tree',
          });
        }
        if (posix.dirname(p) === UNIT_DIR) summary.units.push(e.name);
      } else {
        problems.push({
          code: 'TREE_SPECIAL_FILE',
          path: p,
          message: 'is a device, FIFO or socket; extensions hold files, directories and symlinks only',
        });
      }
    }
  };
  for (const e of top) {
    if (!TOP_LEVEL.has(e.name)) {
      problems.push({
        code: 'TREE_OUTSIDE_USR',
        path: e.name,
        message: `${e.name}${e.isDirectory() ? '/' : ''} is outside usr/ and opt/ (systemd-sysext only merges /usr and /opt)`,
      });
    } else if (!e.isDirectory()) {
      problems.push({
        code: 'TREE_BAD_TOP',
        path: e.name,
        message: `${e.name} must be a directory, not a ${e.isSymbolicLink() ? 'symlink' : 'file'}`,
      });
    } else {
      summary.dirs++;
      visit(e.name);
    }
  }

  if (problems.length > 0) throw treeError(root, problems);
  // Reported, not refused: a tree installed by pnpm or staged with cp -al links to files outside
  // it legitimately. The image gets those files' content as it is when the image is built.
  const outside = [...inodes.values()].filter((i) => i.nlink > i.seen * (opts.mirrored ? 2 : 1));
  if (outside.length > 0) {
    const shown = outside
      .slice(0, 5)
      .map((i) => i.path)
      .join(', ');
    summary.warnings.push(
      `${outside.length} file${outside.length === 1 ? ' is a hard link' : 's are hard links'} to files outside --from (${shown}${outside.length > 5 ? ', ...' : ''}): the image takes their content as it is now; copy them into the tree if that is not meant`,
    );
  }
  summary.units.sort();
  return summary;
}

function treeError(root: string, problems: TreeProblem[]): InputError {
  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const shown = problems.slice(0, 20).map((p) => `  ${p.path}: ${p.message}`);
  if (problems.length > 20) shown.push(`  ... and ${problems.length - 20} more`);
  const codes = new Set(problems.map((p) => p.code));
  const hints: string[] = [];
  if (codes.has('TREE_OUTSIDE_USR'))
    hints.push(
      'move files below usr/ (e.g. defaults under usr/share/NAME/, configs via a confext or Ignition)',
    );
  if (codes.has('TREE_USR_SBIN')) hints.push('put binaries in usr/bin');
  if (codes.has('TREE_SETUID')) hints.push('drop the setuid bits or pass --allow-setuid if you mean it');
  if (codes.has('TREE_OS_RELEASE')) hints.push('remove usr/lib/os-release');
  if (codes.has('TREE_SYMLINK_ESCAPES')) hints.push('use absolute symlink targets for host paths');
  if (codes.has('TREE_GENERATED_DIR'))
    hints.push('replace the symlinked directory by a real one: bakery never writes through a link');
  if (hints.length === 0) hints.push('fix the listed paths and build again');
  return new InputError({
    code: problems.length === 1 ? problems[0]!.code : 'TREE_INVALID',
    message: `--from ${root} cannot become a sysext (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${shown.join('\n')}`,
    hint: hints.join('; '),
    details: { field: '--from', path: root, problems },
  });
}
