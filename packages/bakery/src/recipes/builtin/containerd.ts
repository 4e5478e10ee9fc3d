import type { RecipeInput } from '../schema.js';
import { CONTAINERD_CONFIG, CONTAINERD_SERVICE, GITHUB, GITHUB_API, GO_ARCH } from './common.js';

/** containerd and runc from their GitHub releases, each verified by the checksum file published beside it. */
export const containerdRecipe: RecipeInput = {
  name: 'containerd',
  description: 'containerd with runc (no Docker), for Kubernetes nodes',
  homepage: 'https://github.com/containerd/containerd/releases',
  versions: {
    example: '1.7.13',
    latest: {
      url: '{source.githubApi}/repos/containerd/containerd/releases/latest',
      kind: 'github-release',
      stripV: true,
    },
  },
  archNames: { go: GO_ARCH },
  sources: { github: GITHUB, githubApi: GITHUB_API },
  params: { runc: { default: '1.1.12', description: 'runc version' } },
  downloads: [
    {
      id: 'containerd',
      url: '{source.github}/containerd/containerd/releases/download/v{version}/containerd-{version}-linux-{arch.go}.tar.gz',
      checksum: {
        url: '{source.github}/containerd/containerd/releases/download/v{version}/containerd-{version}-linux-{arch.go}.tar.gz.sha256sum',
        kind: 'sums',
      },
    },
    {
      id: 'runc',
      url: '{source.github}/opencontainers/runc/releases/download/v{param.runc}/runc.{arch.go}',
      checksum: {
        url: '{source.github}/opencontainers/runc/releases/download/v{param.runc}/runc.sha256sum',
        kind: 'sums',
      },
    },
  ],
  files: [
    { from: 'containerd:bin/', to: 'usr/bin/' },
    { from: 'runc', to: 'usr/bin/runc', mode: 0o755 },
  ],
  units: {
    'usr/lib/systemd/system/containerd.service': CONTAINERD_SERVICE,
    'usr/share/containerd/config.toml': CONTAINERD_CONFIG,
  },
  upholds: ['multi-user.target:containerd.service'],
};
