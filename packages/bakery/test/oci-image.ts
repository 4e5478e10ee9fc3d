// Test images for oci-rootfs, built with the real umoci: the static busybox of busybox-static as
// /bin/busybox with applets linked to it, plus a tree of files.
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { exec, makeTree, type TreeItem } from './helpers.js';

/** Run a program, throwing its stderr when it fails; returns stdout. */
export async function must(cmd: string, args: string[], cwd?: string): Promise<string> {
  const r = await exec(cmd, args, cwd ? { cwd } : {});
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Create the OCI layout `layout` with image `tag` (one layer); `extra` changes the root before it is packed. */
export async function busyboxImage(
  layout: string,
  tag: string,
  bundle: string,
  opts: {
    applets: readonly string[];
    tree: Record<string, TreeItem>;
    extra?: (root: string) => Promise<void>;
  },
): Promise<void> {
  await must('umoci', ['init', '--layout', layout]);
  await must('umoci', ['new', '--image', `${layout}:${tag}`]);
  await must('umoci', ['unpack', '--rootless', '--image', `${layout}:${tag}`, bundle]);
  const root = join(bundle, 'rootfs');
  await mkdir(join(root, 'bin'), { recursive: true });
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  for (const applet of opts.applets) await symlink('busybox', join(root, 'bin', applet));
  await makeTree(root, opts.tree);
  await exec('chmod', ['755', join(root, 'bin/busybox')]);
  await opts.extra?.(root);
  await must('umoci', ['repack', '--image', `${layout}:${tag}`, bundle]);
}
