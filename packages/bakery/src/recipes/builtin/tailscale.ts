import type { RecipeInput } from '../schema.js';
import { GO_ARCH } from './common.js';

const TAILSCALED_SERVICE = `[Unit]
Description=Tailscale node agent
Documentation=https://tailscale.com/kb/
Wants=network-pre.target
After=network-pre.target NetworkManager.service systemd-resolved.service

[Service]
EnvironmentFile=-/etc/default/tailscaled
ExecStart=/usr/bin/tailscaled --state=/var/lib/tailscale/tailscaled.state --socket=/run/tailscale/tailscaled.sock --port=\${PORT} $FLAGS
ExecStopPost=/usr/bin/tailscaled --cleanup
Environment=PORT=41641
Restart=on-failure
RuntimeDirectory=tailscale
RuntimeDirectoryMode=0755
StateDirectory=tailscale
StateDirectoryMode=0700
CacheDirectory=tailscale
CacheDirectoryMode=0750
Type=notify

[Install]
WantedBy=multi-user.target
`;

/** tailscale and tailscaled from pkgs.tailscale.com, verified by the .sha256 published beside each tarball. */
export const tailscaleRecipe: RecipeInput = {
  name: 'tailscale',
  description: 'tailscale and tailscaled (unit in /usr/local/lib/systemd/system, not enabled)',
  homepage: 'https://pkgs.tailscale.com/stable/',
  versions: { example: '1.62.0', note: 'versions are listed at https://pkgs.tailscale.com/stable/' },
  archNames: { go: GO_ARCH },
  sources: { tailscale: 'https://pkgs.tailscale.com' },
  downloads: [
    {
      id: 'tailscale',
      url: '{source.tailscale}/stable/tailscale_{version}_{arch.go}.tgz',
      checksum: { url: '{source.tailscale}/stable/tailscale_{version}_{arch.go}.tgz.sha256', kind: 'hex' },
    },
  ],
  files: [
    { from: 'tailscale:tailscale_{version}_{arch.go}/tailscale', to: 'usr/bin/tailscale', mode: 0o755 },
    { from: 'tailscale:tailscale_{version}_{arch.go}/tailscaled', to: 'usr/bin/tailscaled', mode: 0o755 },
  ],
  units: { 'usr/local/lib/systemd/system/tailscaled.service': TAILSCALED_SERVICE },
};
