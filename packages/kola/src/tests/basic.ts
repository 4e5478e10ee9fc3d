import { defineTest } from '../registry/define-test.js';
import { TINY_DISTROS } from './distros.js';
import type { KolaTest } from '../types.js';

/** The machine is reachable over SSH as the default user. */
export const basicSsh: KolaTest = defineTest({
  name: 'basic.ssh',
  description: 'SSH works and logs in as the core user',
  tags: ['tiny', 'smoke'],
  distros: TINY_DISTROS,
  // only reads: may share its machine with other such tests
  exclusive: false,
  run: async (c) => {
    const m = c.machines[0];
    if (!m) return c.fatal('no machine booted');
    const who = await c.mustSsh(m, 'whoami');
    if (who !== 'core') c.errorf('whoami: expected core, got %s', JSON.stringify(who));
  },
});

/** The image identifies itself in /usr/lib/os-release (ID and VERSION_ID). */
export const basicOsRelease: KolaTest = defineTest({
  name: 'basic.os-release',
  description: '/usr/lib/os-release has ID and VERSION_ID',
  tags: ['tiny', 'smoke'],
  distros: TINY_DISTROS,
  exclusive: false,
  run: async (c) => {
    const m = c.machines[0];
    if (!m) return c.fatal('no machine booted');
    const text = await c.mustSsh(m, 'cat /usr/lib/os-release');
    for (const key of ['ID', 'VERSION_ID']) {
      const line = text.split('\n').find((l) => l.startsWith(`${key}=`));
      if (!line || line.length <= key.length + 1)
        c.errorf('/usr/lib/os-release has no %s= line:\n%s', key, text);
      else c.logf('%s', line);
    }
  },
});

const HOSTNAME = 'kola-basic-hostname';

/** The hostname comes from /etc/hostname written by Ignition. */
export const basicHostname: KolaTest = defineTest({
  name: 'basic.hostname',
  description: 'the hostname is set from an Ignition-written /etc/hostname',
  tags: ['tiny', 'smoke', 'ignition'],
  distros: TINY_DISTROS,
  userData: JSON.stringify({
    ignition: { version: '3.3.0' },
    storage: {
      files: [
        {
          path: '/etc/hostname',
          mode: 0o644,
          overwrite: true,
          contents: { source: `data:,${HOSTNAME}%0A` },
        },
      ],
    },
  }),
  run: async (c) => {
    const m = c.machines[0];
    if (!m) return c.fatal('no machine booted');
    const name = await c.mustSsh(m, 'hostname');
    if (name !== HOSTNAME) c.errorf('hostname: expected %s, got %s', HOSTNAME, JSON.stringify(name));
  },
});
