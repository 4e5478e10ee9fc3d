import type { RecipeInput } from '../schema.js';
import { GITHUB, GO_ARCH } from './common.js';

const KUBELET_SERVICE = `[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`;

// What kubeadm expects: it writes /var/lib/kubelet/config.yaml and kubeadm-flags.env, then starts kubelet.
const KUBEADM_DROPIN = `[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`;

/** kubelet, kubeadm, kubectl (each verified by dl.k8s.io's .sha256) and the CNI plugins. */
export const kubernetesRecipe: RecipeInput = {
  name: 'kubernetes',
  description:
    'kubelet, kubeadm and kubectl with the CNI plugins (in /usr/libexec/cni); kubelet is started by kubeadm, not upheld',
  homepage: 'https://kubernetes.io/releases/download/',
  versions: {
    example: '1.29.2',
    latest: { url: '{source.k8s}/release/stable.txt', kind: 'text', stripV: true },
  },
  archNames: { go: GO_ARCH },
  sources: { k8s: 'https://dl.k8s.io', github: GITHUB },
  params: { cni: { default: '1.4.0', description: 'CNI plugins version' } },
  downloads: [
    {
      id: 'kubelet',
      url: '{source.k8s}/release/v{version}/bin/linux/{arch.go}/kubelet',
      checksum: { url: '{source.k8s}/release/v{version}/bin/linux/{arch.go}/kubelet.sha256', kind: 'hex' },
    },
    {
      id: 'kubeadm',
      url: '{source.k8s}/release/v{version}/bin/linux/{arch.go}/kubeadm',
      checksum: { url: '{source.k8s}/release/v{version}/bin/linux/{arch.go}/kubeadm.sha256', kind: 'hex' },
    },
    {
      id: 'kubectl',
      url: '{source.k8s}/release/v{version}/bin/linux/{arch.go}/kubectl',
      checksum: { url: '{source.k8s}/release/v{version}/bin/linux/{arch.go}/kubectl.sha256', kind: 'hex' },
    },
    {
      id: 'cni',
      url: '{source.github}/containernetworking/plugins/releases/download/v{param.cni}/cni-plugins-linux-{arch.go}-v{param.cni}.tgz',
      checksum: {
        url: '{source.github}/containernetworking/plugins/releases/download/v{param.cni}/cni-plugins-linux-{arch.go}-v{param.cni}.tgz.sha256',
        kind: 'hex',
      },
    },
  ],
  files: [
    { from: 'kubelet', to: 'usr/bin/kubelet', mode: 0o755 },
    { from: 'kubeadm', to: 'usr/bin/kubeadm', mode: 0o755 },
    { from: 'kubectl', to: 'usr/bin/kubectl', mode: 0o755 },
    { from: 'cni:./', to: 'usr/libexec/cni/' },
  ],
  units: {
    'usr/lib/systemd/system/kubelet.service': KUBELET_SERVICE,
    'usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf': KUBEADM_DROPIN,
  },
};
