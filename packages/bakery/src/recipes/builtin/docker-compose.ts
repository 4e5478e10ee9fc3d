import type { RecipeInput } from '../schema.js';
import { GITHUB, GITHUB_API, GNU_ARCH } from './common.js';

/** The docker compose CLI plugin (also as docker-compose), verified by the release's .sha256. */
export const dockerComposeRecipe: RecipeInput = {
  name: 'docker-compose',
  description: 'the docker compose v2 CLI plugin, also linked as /usr/bin/docker-compose',
  homepage: 'https://github.com/docker/compose/releases',
  versions: {
    example: '2.24.6',
    latest: {
      url: '{source.githubApi}/repos/docker/compose/releases/latest',
      kind: 'github-release',
      stripV: true,
    },
  },
  archNames: { gnu: GNU_ARCH },
  sources: { github: GITHUB, githubApi: GITHUB_API },
  downloads: [
    {
      id: 'compose',
      url: '{source.github}/docker/compose/releases/download/v{version}/docker-compose-linux-{arch.gnu}',
      checksum: {
        url: '{source.github}/docker/compose/releases/download/v{version}/docker-compose-linux-{arch.gnu}.sha256',
        kind: 'sums',
      },
    },
  ],
  files: [{ from: 'compose', to: 'usr/libexec/docker/cli-plugins/docker-compose', mode: 0o755 }],
  links: [{ path: 'usr/bin/docker-compose', target: '../libexec/docker/cli-plugins/docker-compose' }],
  reloadManager: false,
};
