import { expect, test } from 'vitest';
import { freeTcpPort, freeUdpPort, isPortClash } from './ports.js';

test('free ports are loopback ports that can be bound again', async () => {
  const [t, u] = [await freeTcpPort(), await freeUdpPort()];
  expect(t).toBeGreaterThan(1023);
  expect(u).toBeGreaterThan(1023);
});

test("qemu 7.2's messages for a taken port are recognised (taken from real runs)", () => {
  expect(
    isPortClash(
      "qemu-system-x86_64: -netdev user,id=n0,hostfwd=tcp:127.0.0.1:58435-:22: Could not set up host forwarding rule 'tcp:127.0.0.1:58435-:22'",
    ),
  ).toBe(true);
  expect(
    isPortClash(
      "qemu-system-x86_64: -netdev dgram,id=n1,...: can't bind ip=127.0.0.1 to socket: Address already in use",
    ),
  ).toBe(true);
  expect(isPortClash('qemu-system-x86_64: could not load kernel')).toBe(false);
});
