import {
  dataUrl,
  ignitionFromUserData,
  mergeIgnition,
  newIgnition,
  renderIgnition,
} from '@mantle/core/ignition';

/** What kola adds to every machine's Ignition config on qemu. */
export interface KolaIgnitionAdditions {
  /** authorized_keys lines for `core` and `root` (the flight's key plus the user's own) */
  publicKeys: readonly string[];
  /** the machine's address on the cluster's private LAN */
  lan?: { mac: string; address: string; prefixLength: number };
}

/** Where the LAN's systemd-networkd config goes (the tiny image applies it too). */
export const LAN_NETWORK_FILE = '/etc/systemd/network/10-kola-lan.network';

/** The systemd-networkd unit giving the LAN NIC (matched by MAC) its static address. */
function lanNetworkUnit(lan: NonNullable<KolaIgnitionAdditions['lan']>): string {
  return [
    '[Match]',
    `MACAddress=${lan.mac}`,
    '',
    '[Network]',
    `Address=${lan.address}/${lan.prefixLength}`,
    '',
  ].join('\n');
}

/**
 * The final Ignition JSON of a machine: the test's user data (Butane or Ignition) merged with
 * kola's additions (SSH keys for core and root, the LAN network file).
 */
export function machineIgnition(
  userData: string | undefined,
  add: KolaIgnitionAdditions,
): { json: string; warnings: string[] } {
  const keys = [...add.publicKeys];
  const extra = newIgnition();
  extra.passwd = {
    users: [
      { name: 'core', sshAuthorizedKeys: keys },
      { name: 'root', sshAuthorizedKeys: keys },
    ],
  };
  if (add.lan) {
    extra.storage = {
      files: [
        {
          path: LAN_NETWORK_FILE,
          mode: 0o644,
          overwrite: true,
          contents: { source: dataUrl(lanNetworkUnit(add.lan)) },
        },
      ],
    };
  }
  const parsed =
    userData !== undefined && userData.trim() !== ''
      ? ignitionFromUserData(userData, { source: 'user data' })
      : undefined;
  const base = parsed?.config ?? newIgnition();
  return {
    json: renderIgnition(mergeIgnition(base, extra), { pretty: true }),
    warnings: parsed?.warnings ?? [],
  };
}
