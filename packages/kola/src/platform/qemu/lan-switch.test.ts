import { createSocket, type Socket } from 'node:dgram';
import { afterEach, expect, test } from 'vitest';
import { startLanSwitch, type LanSwitch } from './lan-switch.js';

// Real UDP sockets on loopback play the machines' dgram NICs.
const open: (Socket | LanSwitch)[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) {
    if ('addMember' in s) await s.close();
    else s.close();
  }
});

async function member(): Promise<{ sock: Socket; port: number; frames: Buffer[] }> {
  const sock = createSocket('udp4');
  open.push(sock);
  const frames: Buffer[] = [];
  sock.on('message', (m) => frames.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { sock, port: sock.address().port, frames };
}

function frame(dst: string, src: string, payload: string): Buffer {
  return Buffer.concat([
    Buffer.from(dst.replace(/:/g, ''), 'hex'),
    Buffer.from(src.replace(/:/g, ''), 'hex'),
    Buffer.from([0x08, 0x00]),
    Buffer.from(payload),
  ]);
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

test('floods broadcasts, learns MACs and then forwards unicast to one member only', async () => {
  const sw = await startLanSwitch();
  open.push(sw);
  const [a, b, c] = [await member(), await member(), await member()];
  for (const m of [a, b, c]) sw.addMember(m.port);
  const macA = '52:54:00:00:00:0a';
  const macB = '52:54:00:00:00:0b';
  a.sock.send(frame('ff:ff:ff:ff:ff:ff', macA, 'who'), sw.port, '127.0.0.1');
  await settle();
  expect(a.frames).toHaveLength(0);
  expect(b.frames.map((f) => f.subarray(14).toString())).toEqual(['who']);
  expect(c.frames).toHaveLength(1);
  // b answers a: a's MAC was learned, so c must not see it
  b.sock.send(frame(macA, macB, 'me'), sw.port, '127.0.0.1');
  await settle();
  expect(a.frames.map((f) => f.subarray(14).toString())).toEqual(['me']);
  expect(c.frames).toHaveLength(1);
  expect(sw.stats().forwarded).toBe(3);
});

test('drops frames from non-members and runts', async () => {
  const sw = await startLanSwitch();
  open.push(sw);
  const [a, stranger] = [await member(), await member()];
  sw.addMember(a.port);
  stranger.sock.send(frame('ff:ff:ff:ff:ff:ff', '52:54:00:00:00:01', 'x'), sw.port, '127.0.0.1');
  a.sock.send(Buffer.from('short'), sw.port, '127.0.0.1');
  await settle();
  expect(sw.stats()).toEqual({ forwarded: 0, dropped: 2 });
  sw.removeMember(a.port);
  a.sock.send(frame('ff:ff:ff:ff:ff:ff', '52:54:00:00:00:01', 'x'), sw.port, '127.0.0.1');
  await settle();
  expect(sw.stats().dropped).toBe(3);
});
