/**
 * Bundle `entry` (a .ts file of this repo, or of a copy of another revision's tree at
 * `opts.root`) into `outfile`, an ESM file that a plain `node` runs.
 */
export declare function bundleForNode(
  entry: string,
  outfile: string,
  opts?: { root?: string; define?: Record<string, string> },
): Promise<void>;
