/** Bundle `entry` (a .ts file of this repo) into `outfile`, an ESM file that a plain `node` runs. */
export declare function bundleForNode(entry: string, outfile: string): Promise<void>;
