import { defineTest } from '../registry/define-test.js';
import { TINY_DISTROS } from './distros.js';
import type { KolaTest } from '../types.js';

/** A reboot gives the machine a new boot id and SSH works afterwards. */
export const rebootBootId: KolaTest = defineTest({
  name: 'reboot.bootid',
  description: 'the boot id changes across a reboot and the machine comes back',
  tags: ['tiny', 'reboot'],
  distros: TINY_DISTROS,
  run: async (c) => {
    const m = c.machines[0];
    if (!m) return c.fatal('no machine booted');
    const before = await m.bootId();
    await m.reboot();
    const after = await m.bootId();
    if (!after || after === before) c.fatalf('boot id did not change across reboot: %s', before);
    c.logf('boot id %s -> %s', before, after);
    await c.assertCmdOutputContains(m, 'whoami', 'core');
  },
});
