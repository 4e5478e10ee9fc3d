// `kola check --image IMAGE SPEC` end to end: the built bin boots one machine of the systemd image
// (and of the tiny image)
// (real qemu, TCG), uploads kolet and runs a spec with no test code at all. The bad inputs (an
// invalid spec, a missing kolet) are refused before anything boots.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qemuPidsWith } from './qemu-helpers.js';
import { ensureBuilt, ensureSystemdImage, kola } from '@mantle/test-utils/systemd-image';

let cwd: string;

beforeAll(async () => {
  await ensureBuilt();
  cwd = await mkdtemp(join(tmpdir(), 'kola-check-'));
  await writeFile(
    join(cwd, 'spec.yaml'),
    [
      'user:',
      '  core: { exists: true, uid: 500, groups: [core, sudo, wheel, adm, systemd-journal] }',
      'file:',
      "  /etc/.ignition-done: { exists: true, contains: ['/^status=ok$/'] }",
      'service:',
      '  ssh: { enabled: true, running: true }',
      'port:',
      '  tcp:22: { listening: true }',
      'package:',
      '  openssh-server: { installed: true }',
      'command:',
      '  systemctl is-system-running: { stdout: [running] }',
      '  # deliberately wrong: kola check must exit 1 and say which check failed',
      '  cat /usr/lib/os-release: { stdout: [ID=flatcar] }',
      '',
    ].join('\n'),
  );
  await writeFile(join(cwd, 'typo.yaml'), 'file:\n  /etc/hosts: { exists: true, mdoe: "0644" }\n');
}, 900_000);

afterAll(async () => {
  expect(await qemuPidsWith(cwd)).toEqual([]);
  await rm(cwd, { recursive: true, force: true });
});

describe('kola check', () => {
  it('runs a spec on a machine of the systemd image; a failed check is exit 1 (TAP report)', async () => {
    await ensureSystemdImage();
    const r = await kola(
      ['check', '--image', 'systemd', 'spec.yaml', '--format', 'tap', '--output-dir', 'out'],
      { cwd, timeoutMs: 900_000 },
    );
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^1\.\.\d+$/);
    expect(r.stdout).toContain('ok 1 - User: core: exists: matches expectation: true');
    expect(r.stdout).toMatch(/^ok \d+ - User: core: groups: matches expectation/m);
    expect(r.stdout).toMatch(/^ok \d+ - Service: ssh: running: matches expectation: true$/m);
    expect(r.stdout).toMatch(
      /^ok \d+ - Command: systemctl is-system-running: stdout: matches expectation: \["running"\]$/m,
    );
    expect(r.stdout).toMatch(/^not ok \d+ - Command: cat \/usr\/lib\/os-release: stdout: /m);
    expect(lines.filter((l) => l.startsWith('not ok'))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^# Count: \d+, Failed: 1, Skipped: 0/);
    // the machine's console stays in the output directory
    const machines = await readdir(join(cwd, 'out', 'machines'));
    expect(machines).toHaveLength(1);
    expect(await readdir(join(cwd, 'out', 'machines', machines[0] ?? ''))).toContain('console.txt');
  });

  it('runs a spec on the tiny image too (it carries the C++ runtime kolet links), JSON report', async () => {
    await writeFile(
      join(cwd, 'tiny.yaml'),
      [
        'file:',
        "  /etc/os-release: { exists: true, contains: ['ID=mantle-tiny'] }",
        'user:',
        '  core: { exists: true }',
        'command:',
        '  uname -s: { exit-status: 0, stdout: [Linux] }',
        'interface:',
        '  lo: { exists: true, mtu: 65536 }',
        '',
      ].join('\n'),
    );
    const r = await kola(
      ['check', '--image', 'tiny', 'tiny.yaml', '--format', 'json', '--output-dir', 'out-tiny'],
      {
        cwd,
        timeoutMs: 600_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { summary: { 'test-count': number; 'failed-count': number } };
    expect(report.summary).toMatchObject({ 'test-count': 7, 'failed-count': 0 });
  });

  it('refuses an invalid spec with file:line:column before booting (exit 2)', async () => {
    const r = await kola(['check', '--image', 'systemd', 'typo.yaml'], { cwd, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(cwd, 'typo.yaml')}:2:`);
    expect(r.stderr).toContain("unknown key 'mdoe', did you mean 'mode'?");
    expect(r.stderr).not.toContain('is up after');
  });

  it('a missing kolet executable is exit 3 with how to build it, before booting', async () => {
    const env = { ...process.env, KOLET_EXECUTABLE: join(cwd, 'no-such-kolet') };
    const check = await kola(['check', '--image', 'systemd', 'spec.yaml'], { cwd, env, timeoutMs: 60_000 });
    expect(check.code).toBe(3);
    expect(check.stderr).toContain('kolet executable missing');
    expect(check.stderr).toContain('pnpm --filter @mantle/kola build');
    expect(check.stderr).not.toContain('is up after');
  });
});
