import type { RecipeInput } from '../schema.js';
import { CONTAINERD_CONFIG, CONTAINERD_SERVICE, GNU_ARCH } from './common.js';

const DOCKER_SERVICE = `[Unit]
Description=Docker Application Container Engine
Documentation=https://docs.docker.com
After=network-online.target containerd.service docker.socket
Wants=network-online.target containerd.service
Requires=docker.socket

[Service]
Type=notify
ExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutStartSec=0
RestartSec=2
Restart=always
LimitNOFILE=infinity
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
Delegate=yes
KillMode=process
OOMScoreAdjust=-500

[Install]
WantedBy=multi-user.target
`;

const DOCKER_SOCKET = `[Unit]
Description=Docker Socket for the API
PartOf=docker.service

[Socket]
ListenStream=/run/docker.sock
SocketMode=0660
SocketUser=root
SocketGroup=docker

[Install]
WantedBy=sockets.target
`;

/** Docker's static release (dockerd, docker CLI, containerd, runc) with socket-activated dockerd. */
export const dockerRecipe: RecipeInput = {
  name: 'docker',
  description:
    'Docker engine and CLI from the static release, with containerd and runc (what sysext-bakery ships as docker)',
  homepage: 'https://download.docker.com/linux/static/stable/',
  versions: {
    example: '24.0.9',
    note: 'download.docker.com publishes no checksums: pin the archive with --sha256 docker-VERSION.tgz=HEX',
  },
  archNames: { gnu: GNU_ARCH },
  sources: { docker: 'https://download.docker.com' },
  downloads: [{ id: 'docker', url: '{source.docker}/linux/static/stable/{arch.gnu}/docker-{version}.tgz' }],
  files: [
    { from: 'docker:docker/dockerd', to: 'usr/bin/dockerd', mode: 0o755 },
    { from: 'docker:docker/docker', to: 'usr/bin/docker', mode: 0o755 },
    { from: 'docker:docker/docker-init', to: 'usr/bin/docker-init', mode: 0o755 },
    { from: 'docker:docker/docker-proxy', to: 'usr/bin/docker-proxy', mode: 0o755 },
    { from: 'docker:docker/containerd', to: 'usr/bin/containerd', mode: 0o755 },
    { from: 'docker:docker/containerd-shim-runc-v2', to: 'usr/bin/containerd-shim-runc-v2', mode: 0o755 },
    { from: 'docker:docker/ctr', to: 'usr/bin/ctr', mode: 0o755 },
    { from: 'docker:docker/runc', to: 'usr/bin/runc', mode: 0o755 },
  ],
  units: {
    'usr/lib/systemd/system/docker.service': DOCKER_SERVICE,
    'usr/lib/systemd/system/docker.socket': DOCKER_SOCKET,
    'usr/lib/systemd/system/containerd.service': CONTAINERD_SERVICE,
    'usr/share/containerd/config.toml': CONTAINERD_CONFIG,
    'usr/lib/sysusers.d/docker.conf': 'g docker -\n',
  },
  upholds: ['sockets.target:docker.socket', 'multi-user.target:containerd.service'],
};
