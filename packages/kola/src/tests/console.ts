import { checkConsole } from '../console/check-console.js';
import { defineTest } from '../registry/define-test.js';
import { TINY_DISTROS } from './distros.js';
import type { KolaTest } from '../types.js';

const LINE = 'Kernel panic - not syncing: kola-test (expected, written by console.check-flags)';

/**
 * Proves the console check works end to end: the test writes a kernel-panic line to the kernel
 * log (it reaches the serial console), waits until checkConsole() finds it in the machine's
 * console output, and checks that the `no-kernel-panic-check` flag hides it. The test carries
 * that flag itself, so the harness's post-test console check does not fail it; without the flag
 * the same line would fail the test (what the harness tests assert).
 */
export const consoleCheckFlags: KolaTest = defineTest({
  name: 'console.check-flags',
  description: 'a kernel panic line on the console is found by the console check; the skip flag hides it',
  tags: ['tiny', 'console'],
  distros: TINY_DISTROS,
  flags: ['no-kernel-panic-check'],
  run: async (c) => {
    const m = c.machines[0];
    if (!m) return c.fatal('no machine booted');
    // <2> = KERN_CRIT, printed on the console even with `quiet`.
    await c.mustSsh(m, `echo '<2>${LINE}' > /dev/kmsg || echo '${LINE}' > /dev/console`, { user: 'root' });
    for (let i = 0; i < 60; i++) {
      const text = await m.consoleOutput();
      const found = checkConsole(text).find((x) => x.id === 'kernel-panic' && x.text.includes('kola-test'));
      if (found) {
        c.logf('found on console line %d: %s', found.line, found.text);
        const hidden = checkConsole(text, { skipFlags: ['no-kernel-panic-check'] }).some((x) =>
          x.text.includes('kola-test'),
        );
        if (hidden) c.errorf('the no-kernel-panic-check flag did not hide the line');
        return;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
    c.fatalf('the console check never saw %s on the console of %s', JSON.stringify(LINE), m.id);
  },
});
