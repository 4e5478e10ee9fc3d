import { readFileSync } from 'node:fs';
import { defineTest } from '../registry/define-test.js';
import type { KolaTest } from '../types.js';

// Tests for mantle's systemd test image (images/systemd): `kola run -b systemd` or
// `--image systemd`. Each runs on one machine; under TCG a boot takes 20–60 s, so every test checks
// several things on its machine.

const HELLO = 'kola-hello-from-unit';

// Butane for both systemd tests (the same on purpose: kola boots the config once and starts the
// second machine from a snapshot of the first): an enabled unit, a masked unit, a unit whose
// drop-in changes it, and a tiny HTTP server by socket activation (sh answers every connection)
// for the http check. e2scrub_reap.service (enabled in Debian, disabled in the image) is the
// masked one.
const SYSTEMD_BUTANE = `variant: flatcar
version: 1.0.0
storage:
  files:
    - path: /etc/kola/http-ok.sh
      mode: 0755
      contents:
        inline: |
          #!/bin/sh
          # Read the request head first: closing with unread input would reset the connection.
          cr=$(printf '\\r')
          while IFS= read -r line; do [ "$line" = "$cr" ] || [ -z "$line" ] && break; done
          printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 3\\r\\nConnection: close\\r\\n\\r\\nok\\n'
systemd:
  units:
    - name: kola-hello.service
      enabled: true
      contents: |
        [Unit]
        Description=kola: an enabled unit from Ignition
        [Service]
        Type=oneshot
        RemainAfterExit=yes
        ExecStart=/bin/echo ${HELLO}
        [Install]
        WantedBy=multi-user.target
    - name: kola-dropin.service
      enabled: true
      contents: |
        [Unit]
        Description=kola: a unit changed by a drop-in
        [Service]
        Type=oneshot
        RemainAfterExit=yes
        Environment=KOLA_GREETING=from-unit
        ExecStart=/bin/sh -c 'echo "kola-dropin: $KOLA_GREETING"'
        [Install]
        WantedBy=multi-user.target
      dropins:
        - name: 10-greeting.conf
          contents: |
            [Service]
            Environment=KOLA_GREETING=from-dropin
    - name: kola-http.socket
      enabled: true
      contents: |
        [Unit]
        Description=kola: a tiny HTTP server for the http check
        [Socket]
        ListenStream=127.0.0.1:8080
        Accept=yes
        [Install]
        WantedBy=sockets.target
    - name: kola-http@.service
      contents: |
        [Unit]
        Description=kola: answer one HTTP request
        [Service]
        ExecStart=/etc/kola/http-ok.sh
        StandardInput=socket
        StandardOutput=socket
        StandardError=journal
    - name: e2scrub_reap.service
      mask: true
`;

/** Units written by Ignition: an enabled one ran, a masked one did not, a drop-in applied; their output is in the journal. */
export const systemdUnits: KolaTest = defineTest({
  name: 'systemd.units',
  description:
    'Ignition units on a systemd image: enabled, masked and drop-in; their output reaches the journal',
  tags: ['systemd', 'units', 'journal', 'ignition'],
  distros: ['systemd'],
  userData: SYSTEMD_BUTANE,
  run: async (c) => {
    const m = c.machines[0];
    if (!m) return c.fatal('no machine booted');
    const root = { user: 'root' };
    const show = async (unit: string, prop: string): Promise<string> =>
      (await c.mustSsh(m, `systemctl show -p ${prop} --value ${unit}`, root)).trim();

    await c.run('enabled', async (s) => {
      const enabled = await s.ssh(m, 'systemctl is-enabled kola-hello.service', root);
      if (enabled.stdout.trim() !== 'enabled')
        s.errorf('kola-hello.service: is-enabled says %s', JSON.stringify(enabled.stdout.trim()));
      const active = await show('kola-hello.service', 'ActiveState');
      if (active !== 'active') s.errorf('kola-hello.service: ActiveState %s, expected active', active);
      await s.assertCmdOutputContains(m, 'journalctl -b --no-pager -o cat -u kola-hello.service', HELLO);
    });

    await c.run('masked', async (s) => {
      const state = await s.ssh(m, 'systemctl is-enabled e2scrub_reap.service', root);
      if (state.stdout.trim() !== 'masked')
        s.errorf(
          'e2scrub_reap.service: is-enabled says %s, expected masked',
          JSON.stringify(state.stdout.trim()),
        );
      const ran = await show('e2scrub_reap.service', 'ExecMainStartTimestampMonotonic');
      if (ran !== '' && ran !== '0')
        s.errorf('e2scrub_reap.service is masked but started (ExecMainStartTimestampMonotonic=%s)', ran);
    });

    await c.run('dropin', async (s) => {
      const paths = await show('kola-dropin.service', 'DropInPaths');
      if (!paths.includes('/etc/systemd/system/kola-dropin.service.d/10-greeting.conf'))
        s.errorf('kola-dropin.service: drop-in not loaded (DropInPaths=%s)', paths);
      await s.assertCmdOutputContains(
        m,
        'journalctl -b --no-pager -o cat -u kola-dropin.service',
        'kola-dropin: from-dropin',
      );
    });

    await c.run('system-running', async (s) => {
      const state = await s.ssh(m, 'systemctl is-system-running', root);
      if (state.stdout.trim() !== 'running') {
        const failed = await s.ssh(m, 'systemctl --failed --no-legend --plain', root);
        s.errorf('system state %s; failed units: %s', state.stdout.trim(), failed.stdout.trim() || 'none');
      }
    });
  },
});

/** Twelve kinds of checks that must all pass on the systemd image (run by kola after the body). */
const SYSTEMD_PASSING_CHECKS = `# kola runs this with kolet on the machine after systemd.kolet's body
user:
  core: { exists: true, uid: 500, home: /home/core }
  root: { exists: true, uid: 0, home: /root }
group:
  sudo: { exists: true }
file:
  /usr/lib/os-release:
    exists: true
    filetype: file
    contains: [ID=mantle-systemd, '/^VERSION_CODENAME=bookworm$/']
  /etc/os-release: { exists: true, filetype: symlink }
  /etc/kola/http-ok.sh: { exists: true, mode: '0755', owner: root }
service:
  ssh: { enabled: true, running: true }
  kola-http.socket: { enabled: true, running: true }
  e2scrub_reap: { enabled: false, running: false }
process:
  sshd: { running: true }
  systemd-journal: { running: true } # the kernel's 15-character name, which goss compares
port:
  tcp:22: { listening: true }
  tcp:8080: { listening: true, ip: [127.0.0.1] }
kernel-param:
  kernel.ostype: { value: Linux }
mount:
  /usr: { exists: true, opts: [ro], filesystem: ext4 }
  /: { exists: true, filesystem: ext4 }
command:
  systemctl is-system-running: { exit-status: 0, stdout: [running], timeout: 60s }
  id -un: { exit-status: 0, stdout: ['/^root$/'], timeout: 60s }
# generous timeouts: under TCG on a loaded host a socket-activated sh or a getaddrinfo queued
# behind the other checks' file reads takes seconds (the defaults, 2 s and 5 s, failed at load 20;
# the addr check's 500 ms failed with two test files booting machines side by side; commands
# get the same instead of goss's 10 s)
dns:
  localhost: { resolvable: true, addrs: [127.0.0.1], timeout: 60s }
http:
  http://127.0.0.1:8080/: { status: 200, body: [ok], headers: ['Content-Type: text/plain'], timeout: 60s }
package:
  openssh-server: { installed: true }
  systemd: { installed: true }
addr:
  tcp://127.0.0.1:22: { reachable: true, timeout: 60s }
`;

/** A spec that must fail in exactly these four checks (and pass the fifth). */
const SYSTEMD_FAILING_CHECKS = `# expected to fail: systemd.kolet asserts that kola reports these failures
user:
  kola-nobody-here: { exists: true }
file:
  /etc/kola/does-not-exist: { exists: true }
service:
  kola-http.socket: { running: true }
port:
  tcp:9: { listening: true }
command:
  exit 3: { exit-status: 0 }
`;

/** What the failing spec must report as failed (resource ids). */
const SYSTEMD_EXPECTED_FAILURES = ['kola-nobody-here', '/etc/kola/does-not-exist', 'tcp:9', 'exit 3'];

/**
 * kolet on the systemd image: a native function runs on the machine (it reads os-release there),
 * a spec with a dozen kinds of checks passes (the test's `checks`, run by kola after the body),
 * and a spec with deliberate failures is reported as failed with exactly those failures.
 */
export const systemdKolet: KolaTest = defineTest({
  name: 'systemd.kolet',
  description: 'kolet on the systemd image: a native function, a passing check spec and a failing one',
  tags: ['systemd', 'kolet', 'checks', 'native'],
  distros: ['systemd'],
  userData: SYSTEMD_BUTANE,
  checks: SYSTEMD_PASSING_CHECKS,
  nativeFuncs: {
    // Runs inside kolet on the machine, as root.
    osRelease: () => {
      const text = readFileSync('/etc/os-release', 'utf8');
      const id = /^ID=(.*)$/m.exec(text)?.[1]?.replace(/^"|"$/g, '');
      if (id !== 'mantle-systemd')
        throw new Error(`/etc/os-release says ID=${id ?? '(none)'}, expected mantle-systemd`);
      return `ID=${id} uid=${process.getuid?.() ?? -1}`;
    },
  },
  run: async (c) => {
    const m = c.machines[0];
    if (!m) return c.fatal('no machine booted');

    await c.run('native', async (s) => {
      const out = await s.runNative('osRelease', m);
      if (!out.includes('ID=mantle-systemd uid=0'))
        s.errorf('osRelease printed %s, expected ID=mantle-systemd uid=0', JSON.stringify(out));
    });

    await c.run('failing-spec', async (s) => {
      const r = await s.runChecks(m, SYSTEMD_FAILING_CHECKS);
      const failed = r.report.results.filter((x) => x.result === 1).map((x) => x['resource-id']);
      if (r.passed) s.fatalf('a spec with deliberate failures was reported as passed');
      const missing = SYSTEMD_EXPECTED_FAILURES.filter((id) => !failed.includes(id));
      const extra = failed.filter((id) => !SYSTEMD_EXPECTED_FAILURES.includes(id));
      if (missing.length > 0 || extra.length > 0)
        s.errorf(
          'failed checks: expected %s, got %s',
          SYSTEMD_EXPECTED_FAILURES.join(', '),
          failed.join(', ') || 'none',
        );
      else s.logf('the %d deliberate failures were reported as failed', failed.length);
    });
  },
});

/** The tests for the systemd image. */
export const systemdTests: readonly KolaTest[] = [systemdUnits, systemdKolet];
