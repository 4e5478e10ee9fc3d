import { defineTest } from '../registry/define-test.js';
import { TINY_DISTROS } from './distros.js';
import { shellQuoteWord as shellQuote } from '@mantle/core/ssh';
import type { KolaTest } from '../types.js';

const PORT = 8080;
const MESSAGE = 'kola-lan-hello';

/** Two machines reach each other on the cluster's private LAN (ICMP and TCP). */
export const clusterLan: KolaTest = defineTest({
  name: 'cluster.lan',
  description: 'two machines ping each other on the private LAN and one reaches a TCP listener on the other',
  tags: ['tiny', 'network'],
  distros: TINY_DISTROS,
  clusterSize: 2,
  run: async (c) => {
    const [a, b] = c.machines;
    if (!a || !b) return c.fatalf('expected 2 machines, got %d', c.machines.length);
    if (!a.privateIp || !b.privateIp) return c.fatal('the platform gave the machines no private LAN address');
    const root = { user: 'root' };

    await c.run('ping', async (s) => {
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const r = await s.ssh(from, `ping -c 1 -W 5 ${shellQuote(to.privateIp ?? '')}`, root);
        if (r.exitCode !== 0)
          s.errorf('%s cannot ping %s (%s): %s', from.id, to.id, to.privateIp, r.stdout + r.stderr);
      }
    });

    await c.run('tcp', async (s) => {
      // A one-shot listener on b in the background; with every stdio redirected the SSH session
      // closes at once and (no tty, so no SIGHUP) the listener lives on. No nohup: busybox lacks it.
      await s.mustSsh(
        b,
        `rm -f /tmp/kola-nc.out; nc -l -p ${PORT} >/tmp/kola-nc.out 2>&1 </dev/null &`,
        root,
      );
      let sent = false;
      for (let i = 0; i < 20 && !sent; i++) {
        const r = await s.ssh(a, `echo ${MESSAGE} | nc -w 5 ${shellQuote(b.privateIp ?? '')} ${PORT}`);
        sent = r.exitCode === 0;
        if (!sent) await new Promise((res) => setTimeout(res, 500));
      }
      if (!sent) s.fatalf('%s could not connect to %s:%d', a.id, b.privateIp, PORT);
      for (let i = 0; i < 20; i++) {
        const got = await s.ssh(b, 'cat /tmp/kola-nc.out');
        if (got.stdout.trim() === MESSAGE) return;
        await new Promise((res) => setTimeout(res, 250));
      }
      s.errorf('the listener on %s did not receive %s', b.id, MESSAGE);
    });
  },
});
