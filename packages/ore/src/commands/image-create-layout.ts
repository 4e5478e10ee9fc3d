import { resolve } from 'node:path';
import type { Logger } from '@mantle/core/log';
import { checkOutputFile } from '@mantle/core/fs';
import {
  BUILTIN_LAYOUTS,
  createLayoutImage,
  formatSfdiskDump,
  gptToJson,
  loadLayout,
  parseSize,
  type GptTableJson,
} from '@mantle/core/disk';

export interface ImageCreateLayoutOptions {
  /** flatcar, vm, or a disk_layout.json file */
  layout: string;
  /** which layout of the file (default base) */
  layoutName?: string;
  out: string;
  /** e.g. 8G; default: the layout's own size */
  size?: string;
  overwrite?: boolean;
  cwd?: string;
  logger?: Logger;
}

/** What `ore image create-layout` returns. */
export interface ImageCreateLayoutResult {
  file: string;
  /** the layout as named: a built-in name (flatcar, base, vm) or the layout's name in the file */
  layout: string;
  /** the disk_layout.json the layout came from, when not built in */
  layoutFile?: string;
  size: number;
  gpt: GptTableJson;
  sfdisk: string;
}

/** Create a sparse raw image with a layout's GPT (validated fully first; atomic). */
export async function imageCreateLayout(opts: ImageCreateLayoutOptions): Promise<ImageCreateLayoutResult> {
  const cwd = opts.cwd ?? process.cwd();
  const size = opts.size !== undefined ? parseSize(opts.size, '--size') : undefined;
  // OUT is checked before the layout is read, so a bad path is said first and nothing is written.
  const out = await checkOutputFile(opts.out, {
    cwd,
    flag: 'OUT',
    overwrite: opts.overwrite,
    overwriteFlag: '--force',
  });
  const layout = await loadLayout(opts.layout, {
    cwd,
    ...(opts.layoutName ? { name: opts.layoutName } : {}),
  });
  const res = await createLayoutImage({
    out,
    layout,
    ...(size !== undefined ? { size } : {}),
    ...(opts.overwrite ? { overwrite: true } : {}),
    flag: 'OUT',
    overwriteFlag: '--force',
  });
  // `flatcar` is Flatcar's `base` layout: report it under the name the user gave.
  const builtin = (BUILTIN_LAYOUTS as readonly string[]).includes(opts.layout) && !opts.layoutName;
  const layoutName = builtin ? opts.layout : layout.name;
  opts.logger?.info(`created ${opts.out} (${res.size} bytes, layout ${layoutName})`);
  const table = { ...res.table, file: opts.out };
  return {
    file: opts.out,
    layout: layoutName,
    ...(builtin ? {} : { layoutFile: resolve(cwd, opts.layout) }),
    size: res.size,
    gpt: gptToJson(table),
    sfdisk: formatSfdiskDump(table),
  };
}

/** The text form: the new table as sfdisk -d prints it. */
export function formatImageCreateLayout(r: ImageCreateLayoutResult): string {
  return r.sfdisk;
}
