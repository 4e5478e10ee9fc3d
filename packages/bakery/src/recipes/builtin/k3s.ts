import type { RecipeInput } from '../schema.js';
import { GITHUB, GITHUB_API } from './common.js';

const unit = (mode: 'server' | 'agent'): string => `[Unit]
Description=Lightweight Kubernetes (${mode})
Documentation=https://k3s.io
Wants=network-online.target
After=network-online.target

[Service]
Type=notify
EnvironmentFile=-/etc/default/k3s${mode === 'agent' ? '-agent' : ''}
KillMode=process
Delegate=yes
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStartPre=-/sbin/modprobe br_netfilter
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/local/bin/k3s ${mode}

[Install]
WantedBy=multi-user.target
`;

/** k3s as one binary with its kubectl/crictl/ctr links; enable k3s.service or k3s-agent.service on the host. */
export const k3sRecipe: RecipeInput = {
  name: 'k3s',
  description:
    'k3s (server and agent units in /usr/local/lib/systemd/system, not enabled: link one into multi-user.target.wants)',
  homepage: 'https://github.com/k3s-io/k3s/releases',
  versions: {
    example: 'v1.29.2+k3s1',
    latest: { url: '{source.githubApi}/repos/k3s-io/k3s/releases/latest', kind: 'github-release' },
  },
  archNames: { bin: { 'x86-64': '', arm64: '-arm64' }, go: { 'x86-64': 'amd64', arm64: 'arm64' } },
  sources: { github: GITHUB, githubApi: GITHUB_API },
  downloads: [
    {
      id: 'k3s',
      url: '{source.github}/k3s-io/k3s/releases/download/{version:url}/k3s{arch.bin}',
      checksum: {
        url: '{source.github}/k3s-io/k3s/releases/download/{version:url}/sha256sum-{arch.go}.txt',
        kind: 'sums',
        entry: 'k3s{arch.bin}',
      },
    },
  ],
  files: [{ from: 'k3s', to: 'usr/local/bin/k3s', mode: 0o755 }],
  links: [
    { path: 'usr/local/bin/kubectl', target: 'k3s' },
    { path: 'usr/local/bin/crictl', target: 'k3s' },
    { path: 'usr/local/bin/ctr', target: 'k3s' },
  ],
  units: {
    'usr/local/lib/systemd/system/k3s.service': unit('server'),
    'usr/local/lib/systemd/system/k3s-agent.service': unit('agent'),
  },
  reloadManager: true,
};
