import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError, InterruptedError, OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { onCleanup } from '@mantle/core/cli';
import { requireTool, run, runText } from '@mantle/core/exec';
import {
  checkDebugfsArg,
  FlatcarLabel,
  partitionRef,
  readGpt,
  withToolPath,
  type Ext4Op,
  type PartitionRef,
} from '@mantle/core/disk';
import { detectFormat, readHeadAndTail } from '@mantle/core/image';
import { checkInputPath, checkOutputFile } from '@mantle/core/fs';
import { inspectSysext } from '../read/inspect-sysext.js';
import { checkName } from '../sysext/names.js';
import { noopTransferFile } from '../sysupdate/transfer.js';
import { applyExt4 } from './ext4-writer.js';

// Baking puts sysexts into an OS disk image in the Flatcar layout without root and without loop
// devices: the GPT is read in userspace, the ROOT (or OEM) ext4 filesystem is changed in place
// with debugfs at the partition's byte offset (ext4-writer.ts). All of it happens on a sparse
// copy next to the target that is checked with e2fsck -fn and only then renamed over it, so an
// error or Ctrl-C leaves the original image as it was.

export interface BakeOptions {
  /** the OS disk image (raw, GPT, Flatcar layout) */
  image: string;
  /** NAME:FILE.raw (or FILE.raw when it carries exactly one extension-release) */
  sysexts: readonly string[];
  /** where the .raw files go: root (/opt/extensions, default) or oem (/oem/opt/extensions); anything else is an InputError */
  to?: string;
  /** also install NAME.conf/NAME.transfer found next to each FILE into /etc/sysupdate.NAME.d/, and noop.conf */
  sysupdate?: boolean;
  /** write the result here instead of replacing `image` */
  out?: string;
  /** replace an existing `out` */
  force?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  signal?: AbortSignal;
}

interface BakedSysext {
  name: string;
  file: string;
  /** where the image now lives, as the booted OS sees it */
  installedAt: string;
  symlink: string;
  transfer?: string;
  size: number;
}

export interface BakeResult {
  image: string;
  partition: string;
  sysexts: BakedSysext[];
  noop?: string;
  /** free bytes left in the partition written */
  freeBytes: number;
  /** e2fsck -fn passed on every partition written */
  fsckClean: boolean;
}

interface Planned {
  name: string;
  path: string;
  file: string;
  size: number;
  transfer?: { path: string; file: string };
}

/**
 * Bake sysexts into an OS image; validated completely before a byte is copied. A qcow2 image
 * (Flatcar's qemu image, mantle's systemd test image) is converted to a sparse raw scratch copy,
 * baked there and converted back; the original is replaced only at the end.
 */
export async function bakeImage(opts: BakeOptions): Promise<BakeResult> {
  const cwd = opts.cwd ?? process.cwd();
  const to = opts.to ?? 'root';
  if (to !== 'root' && to !== 'oem') {
    throw new InputError({
      code: 'BAD_USAGE',
      message: `--to ${String(to)} is neither root nor oem`,
      hint: 'use --to root (default) or --to oem',
      details: { field: '--to' },
    });
  }
  if (opts.sysexts.length === 0)
    throw new InputError({
      code: 'BAD_USAGE',
      message: 'no sysexts given',
      hint: 'bakery bake IMAGE NAME:FILE.raw ...',
    });
  const image = await checkInputPath(opts.image, { cwd, flag: 'IMAGE' });
  // Where the result goes is checked now, not after the bake: a directory, an existing file, a
  // missing or read-only directory is exit 2 before a byte is copied. Without --out the image is
  // replaced by a rename beside it, so its own directory must take new files.
  const out =
    opts.out !== undefined
      ? await checkOutputFile(opts.out, {
          cwd,
          flag: '--out',
          overwrite: opts.force,
          overwriteFlag: '--force',
        })
      : await checkOutputFile(opts.image, { cwd, flag: 'IMAGE', overwrite: true });
  const { head, tail } = await readHeadAndTail(image);
  const format = detectFormat(head, tail).format;
  if (format !== 'raw' && format !== 'qcow2' && format !== 'unknown') {
    throw new InputError({
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      message: `IMAGE ${opts.image} is a ${format} image; bake writes raw and qcow2 images`,
      hint: `convert it first: qemu-img convert -O raw ${opts.image} image.raw`,
      details: { file: image, format },
    });
  }
  // The sysexts are checked before a qcow2 image is converted: a bad one costs no disk work.
  const planned = await planSysexts(opts.sysexts, cwd, opts.sysupdate ?? false, opts.logger);
  const job: BakeJob = { opts, to, planned, shownAs: opts.image };
  if (format === 'qcow2') return bakeQcow2(job, image, out);
  return bakeRaw(job, image, out, false);
}

/** What bakeImage validated once, for the raw and the qcow2 path. */
interface BakeJob {
  opts: BakeOptions;
  to: 'root' | 'oem';
  planned: Planned[];
  /** IMAGE as the user gave it, for messages */
  shownAs: string;
}

async function bakeQcow2(job: BakeJob, image: string, out: string): Promise<BakeResult> {
  const { opts } = job;
  const env = opts.env ? { env: opts.env } : {};
  const qemuImg = await requireTool('qemu-img', {
    debianPackage: 'qemu-utils',
    purpose: 'bake qcow2 images',
    ...env,
  });
  const stem = join(dirname(out), `.${basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const raw = `${stem}.raw`;
  const qcow = `${stem}.qcow2`;
  const unregister = onCleanup(
    () => Promise.all([rm(raw, { force: true }), rm(qcow, { force: true })]).then(() => undefined),
    `remove ${stem}.*`,
  );
  const ro = {
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    timeoutMs: 3600_000,
  };
  try {
    // qemu-img writes raw output sparse: only the data of the image costs disk space.
    await run(qemuImg, ['convert', '-f', 'qcow2', '-O', 'raw', image, raw], ro);
    // the raw file is already a private scratch copy: baked in place, no second copy
    const r = await bakeRaw(job, raw, raw, true);
    await run(qemuImg, ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow], ro);
    if (opts.signal?.aborted) throw new InterruptedError('abort signal');
    await rename(qcow, out);
    return { ...r, image: out };
  } finally {
    await Promise.all([rm(raw, { force: true }), rm(qcow, { force: true })]);
    unregister();
  }
}

/**
 * Bake into a raw image: into a sparse copy renamed over `out` at the end, or, with `inPlace`
 * (the image is already a private scratch file), into the image itself.
 */
async function bakeRaw(job: BakeJob, image: string, out: string, inPlace: boolean): Promise<BakeResult> {
  const { to, planned } = job;
  const opts = { ...job.opts, image: job.shownAs };
  // Not a disk: core's GPT reader says so (exit 2) before anything else happens.
  const table = await readGpt(image);
  const labels = table.partitions.map((p) => p.name);
  const need = to === 'oem' ? [FlatcarLabel.ROOT, FlatcarLabel.OEM] : [FlatcarLabel.ROOT];
  for (const label of need) {
    if (!labels.includes(label)) {
      throw new InputError({
        code: 'UNKNOWN_LAYOUT',
        message: `${opts.image} has no ${label} partition (its partitions: ${table.partitions.map((p) => `${p.number} ${p.name || '(unnamed)'}`).join(', ') || 'none'})`,
        hint: 'bake works on Flatcar-layout images (ROOT, and OEM for --to oem)',
        details: { file: image, partition: label },
      });
    }
  }

  const rootRef = await partitionRef(image, FlatcarLabel.ROOT);
  const dataRef = to === 'oem' ? await partitionRef(image, FlatcarLabel.OEM) : rootRef;
  for (const ref of to === 'oem' ? [rootRef, dataRef] : [rootRef]) await requireExt4(ref, opts.image);
  const need2 = planned.reduce((s, p) => s + p.size, 0);
  const free = await freeBytes(dataRef);
  if (need2 + 1024 * 1024 > free) {
    throw new InputError({
      code: 'NO_SPACE',
      message: `${dataRef.label} of ${opts.image} has ${free} bytes free, the sysexts need ${need2}`,
      hint: to === 'root' ? 'grow ROOT first or bake fewer sysexts' : 'use --to root, or bake fewer sysexts',
      details: { file: image, free, needed: need2 },
    });
  }

  const tmp = inPlace
    ? image
    : join(dirname(out), `.${basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.baking`);
  const unregister = inPlace ? () => undefined : onCleanup(() => rm(tmp, { force: true }), `remove ${tmp}`);
  try {
    // A sparse (or reflinked) copy: a 4.5 GiB image with 1 GiB of data costs 1 GiB of writes at most.
    if (!inPlace)
      await run('cp', ['--sparse=always', '--reflink=auto', '--', image, tmp], {
        ...(opts.logger ? { logger: opts.logger } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        timeoutMs: 3600_000,
      });
    const tRoot: PartitionRef = { ...rootRef, image: tmp };
    const tData: PartitionRef = { ...dataRef, image: tmp };
    const rootOps: Ext4Op[] = [];
    const dataOps: Ext4Op[] = to === 'oem' ? [] : rootOps;
    const baked: BakedSysext[] = [];
    for (const p of planned) {
      const dir = `/opt/extensions/${p.name}`;
      const installedAt = `${to === 'oem' ? '/oem' : ''}${dir}/${p.file}`;
      dataOps.push({ op: 'mkdir', path: dir, mode: 0o755, uid: 0, gid: 0 });
      dataOps.push({ op: 'write', path: `${dir}/${p.file}`, from: p.path, mode: 0o644, uid: 0, gid: 0 });
      const symlink = `/etc/extensions/${p.name}.raw`;
      rootOps.push({ op: 'symlink', path: symlink, target: installedAt, uid: 0, gid: 0 });
      const entry: BakedSysext = { name: p.name, file: p.file, installedAt, symlink, size: p.size };
      if (p.transfer) {
        const dest = `/etc/sysupdate.${p.name}.d/${p.transfer.file}`;
        rootOps.push({
          op: 'write',
          path: dest,
          content: await readFile(p.transfer.path),
          mode: 0o644,
          uid: 0,
          gid: 0,
        });
        entry.transfer = dest;
      }
      baked.push(entry);
    }
    let noop: string | undefined;
    if (planned.some((p) => p.transfer)) {
      const suffix = planned.find((p) => p.transfer)!.transfer!.file.endsWith('.transfer')
        ? 'transfer'
        : 'conf';
      noop = `/etc/sysupdate.d/noop.${suffix}`;
      rootOps.push({ op: 'write', path: noop, content: noopTransferFile(), mode: 0o644, uid: 0, gid: 0 });
    }
    // debugfs and e2fsck are not cancelled mid-write (a half-applied debugfs script is what the
    // copy is for): an interrupt is honoured between the steps, and always before the rename.
    const stopIfInterrupted = (): void => {
      if (opts.signal?.aborted) throw new InterruptedError('abort signal');
    };
    stopIfInterrupted();
    if (to === 'oem') await applyExt4(tData, dataOps, { ...(opts.logger ? { logger: opts.logger } : {}) });
    stopIfInterrupted();
    await applyExt4(tRoot, rootOps, { ...(opts.logger ? { logger: opts.logger } : {}) });
    stopIfInterrupted();
    for (const ref of to === 'oem' ? [tRoot, tData] : [tRoot]) await fsck(ref, opts.image);
    const left = await freeBytes(tData);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    stopIfInterrupted();
    if (!inPlace) await rename(tmp, out);
    return {
      image: out,
      partition: dataRef.label ?? to,
      sysexts: baked,
      ...(noop ? { noop } : {}),
      freeBytes: left,
      fsckClean: true,
    };
  } finally {
    if (!inPlace) await rm(tmp, { force: true });
    unregister();
  }
}

async function planSysexts(
  specs: readonly string[],
  cwd: string,
  sysupdate: boolean,
  logger: Logger | undefined,
): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const spec of specs) {
    const colon = spec.indexOf(':');
    const given = colon > 0 ? spec.slice(0, colon) : undefined;
    const fileArg = colon > 0 ? spec.slice(colon + 1) : spec;
    if (given !== undefined) checkName(given, `NAME in ${spec}`);
    const path = await checkInputPath(fileArg, { cwd });
    // The file is read by debugfs from a script line and its name becomes a path in the image:
    // a newline in either would start a new debugfs command (and `!` runs a shell).
    checkDebugfsArg(path, `${JSON.stringify(spec)}: FILE`);
    const info = await inspectSysext(path, logger ? { logger } : {});
    const metaNames = info.metadata.filter((m) => !m.error).map((m) => m.name);
    let name = given;
    if (name === undefined) {
      if (metaNames.length !== 1) {
        throw new InputError({
          code: 'BAD_USAGE',
          message: `${spec}: say under which name to install it (NAME:FILE)`,
          hint:
            metaNames.length > 0
              ? `its metadata names: ${metaNames.join(', ')}`
              : 'the image has no extension-release metadata',
          details: { file: path },
        });
      }
      // The name comes from the image (its extension-release.NAME) and becomes file names in the
      // target image: the same rules as a NAME given on the command line.
      name = checkName(
        metaNames[0]!,
        `the extension name in ${fileArg} (usr/lib/extension-release.d/extension-release.NAME)`,
      );
    } else if (!metaNames.includes(name)) {
      throw new InputError({
        code: 'NAME_MISMATCH',
        message: `${spec}: installed as /etc/extensions/${name}.raw, systemd would look for extension-release.${name}, but ${fileArg} carries ${metaNames.length > 0 ? metaNames.map((n) => `extension-release.${n}`).join(', ') : 'no extension-release file'}`,
        hint:
          metaNames.length === 1
            ? `use ${metaNames[0]}:${fileArg}`
            : 'rebuild the image with bakery create NAME',
        details: { file: path, name, metadata: metaNames },
      });
    }
    if (out.some((p) => p.name === name))
      throw new InputError({
        code: 'BAD_USAGE',
        message: `${name} is given twice`,
        hint: 'bake each extension once',
        details: { name },
      });
    const p: Planned = { name, path, file: basename(path), size: (await stat(path)).size };
    if (sysupdate) {
      for (const suffix of ['transfer', 'conf']) {
        const t = join(dirname(path), `${name}.${suffix}`);
        if (
          await stat(t).then(
            (s) => s.isFile(),
            () => false,
          )
        ) {
          p.transfer = { path: t, file: `${name}.${suffix}` };
          break;
        }
      }
      if (!p.transfer) {
        throw new InputError({
          code: 'NO_TRANSFER',
          message: `--sysupdate: no ${name}.transfer or ${name}.conf next to ${fileArg}`,
          hint: `write one: bakery sysupdate ${name} --base-url URL --out ${dirname(fileArg) || '.'}`,
          details: { file: path },
        });
      }
    }
    out.push(p);
  }
  return out;
}

async function requireExt4(ref: PartitionRef, image: string): Promise<void> {
  const fh = await open(ref.image, 'r');
  try {
    const b = Buffer.alloc(0x10048);
    await fh.read(b, 0, b.length, ref.offset);
    if (b.readUInt16LE(1080) === 0xef53) return;
    const what = b.toString('latin1', 0x10040, 0x10048) === '_BHRfS_M' ? 'btrfs' : 'no ext4 filesystem';
    throw new InputError({
      code: 'PARTITION_NOT_EXT4',
      message: `partition ${ref.label} of ${image} holds ${what}; bake writes ext4 without root`,
      hint:
        ref.label === 'OEM'
          ? 'use --to root (Flatcar images format OEM as btrfs)'
          : 'is this a Flatcar image whose ROOT was formatted?',
      details: { file: image, partition: ref.label },
    });
  } finally {
    await fh.close();
  }
}

async function freeBytes(ref: PartitionRef): Promise<number> {
  const dumpe2fs = await requireTool('dumpe2fs', { debianPackage: 'e2fsprogs', purpose: 'read free space' });
  const text = await withToolPath(ref.image, (img) =>
    runText(dumpe2fs, ['-h', `${img}?offset=${ref.offset}`]),
  );
  const freeBlocks = Number(/^Free blocks:\s+(\d+)/m.exec(text)?.[1]);
  const bs = Number(/^Block size:\s+(\d+)/m.exec(text)?.[1]);
  return Number.isFinite(freeBlocks) && Number.isFinite(bs) ? freeBlocks * bs : 0;
}

async function fsck(ref: PartitionRef, image: string): Promise<void> {
  const e2fsck = await requireTool('e2fsck', {
    debianPackage: 'e2fsprogs',
    purpose: 'check the baked filesystem',
  });
  const r = await withToolPath(ref.image, (img) =>
    run(e2fsck, ['-fn', `${img}?offset=${ref.offset}`], { reject: false, timeoutMs: 1800_000 }),
  );
  if (r.exitCode !== 0) {
    throw new OperationError({
      code: 'BAKE_FSCK_FAILED',
      message: `e2fsck -fn found problems in ${ref.label} after baking (exit ${r.exitCode}); ${image} was left unchanged:\n${(r.stdout + r.stderr).trim().split('\n').slice(-10).join('\n')}`,
      hint: 'check the source image with e2fsck; this is a bug if it was clean',
      details: { partition: ref.label },
    });
  }
}
