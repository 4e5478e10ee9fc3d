import { createSocket, type Socket } from 'node:dgram';

/**
 * The private LAN of a cluster, without privileges: a tiny learning Ethernet switch in this
 * process, on a UDP port of 127.0.0.1. Each machine's LAN NIC is a qemu
 * `-netdev dgram` bound to its own loopback UDP port with this switch as its remote; every
 * datagram is one Ethernet frame. Frames to a learned MAC go to that machine only; broadcast,
 * multicast and unknown destinations are flooded to every other machine.
 *
 * Living in the kola process means the switch dies with it: nothing to leak. Datagrams from
 * ports that are not a registered machine are dropped, so no other local process can inject
 * frames by accident.
 */
export interface LanSwitch {
  /** the UDP port machines send their frames to */
  readonly port: number;
  /** accept frames from (and flood to) the machine whose qemu binds this UDP port */
  addMember(udpPort: number): void;
  removeMember(udpPort: number): void;
  /** frames forwarded and dropped so far (for logs and tests) */
  stats(): { forwarded: number; dropped: number };
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
const ETH_HEADER = 14;

/** Start a switch on a free UDP port of 127.0.0.1. */
export async function startLanSwitch(): Promise<LanSwitch> {
  const sock: Socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address: LOOPBACK, port: 0, exclusive: true }, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  // Keeping the switch from holding the event loop open: machines (qemu children) do that.
  sock.unref();
  const members = new Set<number>();
  const macTable = new Map<string, number>();
  let forwarded = 0;
  let dropped = 0;
  let closed = false;

  const send = (frame: Buffer, port: number): void => {
    forwarded++;
    // A member that just went away makes send fail (ECONNREFUSED on loopback): not our problem.
    sock.send(frame, port, LOOPBACK, () => undefined);
  };

  sock.on('error', () => undefined);
  sock.on('message', (frame, rinfo) => {
    if (rinfo.address !== LOOPBACK || !members.has(rinfo.port) || frame.length < ETH_HEADER) {
      dropped++;
      return;
    }
    const dst = frame.subarray(0, 6);
    const src = frame.subarray(6, 12);
    // Learn where the sender lives (unicast source MACs only).
    if ((src[0]! & 1) === 0) macTable.set(src.toString('hex'), rinfo.port);
    const known = (dst[0]! & 1) === 0 ? macTable.get(dst.toString('hex')) : undefined;
    if (known !== undefined && members.has(known)) {
      if (known !== rinfo.port) send(frame, known);
      return;
    }
    for (const port of members) if (port !== rinfo.port) send(frame, port);
  });

  return {
    port: sock.address().port,
    addMember: (udpPort) => void members.add(udpPort),
    removeMember: (udpPort) => {
      members.delete(udpPort);
      for (const [mac, port] of macTable) if (port === udpPort) macTable.delete(mac);
    },
    stats: () => ({ forwarded, dropped }),
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        sock.close(() => resolve());
      }),
  };
}
