import { packageVersion } from '@mantle/core/cli';

/** kola's own version (from packages/kola/package.json), for reports and `kola version`. */
export const kolaVersion: string = packageVersion(import.meta.url);
