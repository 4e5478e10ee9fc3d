import { resolve } from 'node:path';
import type { Logger } from '@mantle/core/log';
import {
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
  layout: string;
  size: number;
  gpt: GptTableJson;
  sfdisk: string;
}

/** Create a sparse raw image with a layout's GPT (validated fully first; atomic). */
export async function imageCreateLayout(opts: ImageCreateLayoutOptions): Promise<ImageCreateLayoutResult> {
  const cwd = opts.cwd ?? process.cwd();
  const size = opts.size !== undefined ? parseSize(opts.size, '--size') : undefined;
  const layout = await loadLayout(opts.layout, {
    cwd,
    ...(opts.layoutName ? { name: opts.layoutName } : {}),
  });
  const res = await createLayoutImage({
    out: resolve(cwd, opts.out),
    layout,
    ...(size !== undefined ? { size } : {}),
    ...(opts.overwrite ? { overwrite: true } : {}),
  });
  opts.logger?.info(`created ${opts.out} (${res.size} bytes, layout ${layout.name})`);
  const table = { ...res.table, file: opts.out };
  return {
    file: opts.out,
    layout: layout.name,
    size: res.size,
    gpt: gptToJson(table),
    sfdisk: formatSfdiskDump(table),
  };
}

/** The text form: the new table as sfdisk -d prints it. */
export function formatImageCreateLayout(r: ImageCreateLayoutResult): string {
  return r.sfdisk;
}
