// Architecture spellings upstreams use in their download names.
export const GO_ARCH = { 'x86-64': 'amd64', arm64: 'arm64' };
export const GNU_ARCH = { 'x86-64': 'x86_64', arm64: 'aarch64' };

export const GITHUB = 'https://github.com';
export const GITHUB_API = 'https://api.github.com';

/** The containerd unit every container-runtime recipe ships (config under /usr/share, state under /var). */
export const CONTAINERD_SERVICE = `[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/bin/containerd --config /usr/share/containerd/config.toml
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
`;

/** containerd's config: systemd cgroups for runc, state and data outside the read-only /usr. */
export const CONTAINERD_CONFIG = `version = 2
root = "/var/lib/containerd"
state = "/run/containerd"

[grpc]
address = "/run/containerd/containerd.sock"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
SystemdCgroup = true

[plugins."io.containerd.grpc.v1.cri".cni]
bin_dir = "/usr/libexec/cni"
conf_dir = "/etc/cni/net.d"
`;
