import { readFile } from 'node:fs/promises';
import type { NativeContext } from './context.js';
import type { NativeRegistry, NativeTestLike } from './registry.js';

/**
 * Native functions every kolet carries, under the test name `kolet.self`: they let kola (and
 * kolet's own tests) prove the whole path — upload, run, exit codes, skip and the reboot
 * protocol — on any machine without a test of their own.
 */
const koletSelfTest: NativeTestLike = {
  name: 'kolet.self',
  nativeFuncs: {
    /** passes, printing a fixed line */
    pass: () => 'kolet.self pass',
    /** fails with a fixed message */
    fail: () => {
      throw new Error('kolet.self fail: failing on purpose');
    },
    /** reports itself skipped */
    skip: (ctx: NativeContext) => ctx.skip('kolet.self skip: skipping on purpose'),
    /** prints the boot id (to compare across reboots) */
    'boot-id': async () => (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim(),
    /**
     * asks for one reboot, then passes printing the mark and the boot id: kola reboots the
     * machine when the first run exits 78 and runs it again with --reboot-mark
     */
    'reboot-once': async (ctx: NativeContext) => {
      if (ctx.rebootMark === undefined) ctx.rebootRequest('kolet-self-rebooted');
      const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
      return `rebooted: mark=${ctx.rebootMark} boot_id=${bootId}`;
    },
  },
};

/** Register kolet's own native functions. */
export function registerSelfTest(registry: NativeRegistry): void {
  registry.register(koletSelfTest, 'kolet');
}
