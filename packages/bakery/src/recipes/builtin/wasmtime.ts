import type { RecipeInput } from '../schema.js';
import { GITHUB, GITHUB_API, GNU_ARCH } from './common.js';

/** The wasmtime CLI from its GitHub release tarball. */
export const wasmtimeRecipe: RecipeInput = {
  name: 'wasmtime',
  description: 'the wasmtime WebAssembly runtime CLI',
  homepage: 'https://github.com/bytecodealliance/wasmtime/releases',
  versions: {
    example: '17.0.1',
    latest: {
      url: '{source.githubApi}/repos/bytecodealliance/wasmtime/releases/latest',
      kind: 'github-release',
      stripV: true,
    },
    note: 'the release publishes no checksum files: pin the tarball with --sha256 wasmtime-vVERSION-ARCH-linux.tar.xz=HEX',
  },
  archNames: { gnu: GNU_ARCH },
  sources: { github: GITHUB, githubApi: GITHUB_API },
  downloads: [
    {
      id: 'wasmtime',
      url: '{source.github}/bytecodealliance/wasmtime/releases/download/v{version}/wasmtime-v{version}-{arch.gnu}-linux.tar.xz',
    },
  ],
  files: [
    { from: 'wasmtime:wasmtime-v{version}-{arch.gnu}-linux/wasmtime', to: 'usr/bin/wasmtime', mode: 0o755 },
  ],
  reloadManager: false,
};
