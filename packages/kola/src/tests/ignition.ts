import { defineTest } from '../registry/define-test.js';
import { TINY_DISTROS } from './distros.js';
import type { KolaTest } from '../types.js';

// Butane (the flatcar variant): one of each kind of thing Ignition writes.
const BUTANE = `variant: flatcar
version: 1.0.0
storage:
  directories:
    - path: /etc/kola/dir
      mode: 0750
  files:
    - path: /etc/kola/dir/hello.txt
      mode: 0644
      contents:
        inline: |
          hello from kola
  links:
    - path: /etc/kola/link
      target: /etc/kola/dir/hello.txt
passwd:
  users:
    - name: kolauser
      groups:
        - wheel
        - sudo
`;

/** Files, directories, links and users from Butane user data are all applied. */
export const ignitionFiles: KolaTest = defineTest({
  name: 'ignition.files',
  description: 'Butane user data: a file (mode 0644), a directory, a symlink and a user with groups',
  tags: ['tiny', 'ignition'],
  distros: TINY_DISTROS,
  userData: BUTANE,
  run: async (c) => {
    const m = c.machines[0];
    if (!m) return c.fatal('no machine booted');
    // As root: the directory is 0750 root:root, so core may not look inside.
    const expect = async (cmd: string, want: string): Promise<void> => {
      const got = await c.mustSsh(m, cmd, { user: 'root' });
      if (got !== want) c.errorf('%s: expected %s, got %s', cmd, JSON.stringify(want), JSON.stringify(got));
    };
    await expect('cat /etc/kola/dir/hello.txt', 'hello from kola');
    await expect('stat -c %a /etc/kola/dir/hello.txt', '644');
    await expect('stat -c %a /etc/kola/dir', '750');
    await expect('readlink /etc/kola/link', '/etc/kola/dir/hello.txt');
    const groups = (await c.mustSsh(m, 'id -Gn kolauser')).split(/\s+/);
    for (const g of ['wheel', 'sudo'])
      if (!groups.includes(g)) c.errorf('user kolauser: not in group %s (groups: %s)', g, groups.join(' '));
  },
});
