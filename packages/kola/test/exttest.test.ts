// `kola run -E DIR` end to end on the tiny image (real qemu, TCG): a passing script that reboots
// once with autopkgtest-reboot, a skipping one (exit 77) and a failing one, with their output in
// the report; and the bad inputs that need no machine: a test file that is not executable and
// metadata with wrong types (exit 2, naming the file and the field).
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyImage, qemuPidsWith } from './qemu-helpers.js';
import { kola, kolaBin, readReport } from '@mantle/test-utils/systemd-image';
import { existsSync } from 'node:fs';

let cwd: string;

async function script(dir: string, name: string, body: string, mode = 0o755): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), body);
  await chmod(join(dir, name), mode);
}

beforeAll(async () => {
  if (!existsSync(kolaBin)) throw new Error(`${kolaBin} is missing: run pnpm build`);
  cwd = await mkdtemp(join(tmpdir(), 'kola-exttest-'));
  const good = join(cwd, 'proj');
  await script(
    good,
    'reboot-then-pass',
    `#!/bin/sh
# kola: {"tags": "smoke", "timeout": "5m"}
case "\${AUTOPKGTEST_REBOOT_MARK:-}" in
  "") echo "before reboot on $(cat /proc/sys/kernel/random/boot_id)"; /tmp/autopkgtest-reboot mark1; echo "never printed" ;;
  mark1) echo "after reboot as $(id -un) with KOLA_TEST=$KOLA_TEST in $PWD"; echo "env: $(env | grep -c .) variables" >&2 ;;
  *) echo "unexpected mark" >&2; exit 1 ;;
esac
`,
  );
  await script(good, 'skipper', '#!/bin/sh\necho "not for this image" >&2\nexit 77\n');
  await script(
    good,
    'failer',
    '#!/bin/sh\necho "checking the impossible"\necho "it went wrong" >&2\nexit 3\n',
  );
  await writeFile(join(good, 'kola.yaml'), 'distros: tiny\ntags: [ext]\n');
}, 300_000);

afterAll(async () => {
  expect(await qemuPidsWith(cwd)).toEqual([]);
  await rm(cwd, { recursive: true, force: true });
});

describe('kola run -E', () => {
  it('runs executables as root with a clean environment: 0 pass (after a reboot), 77 skip, else fail', async () => {
    await ensureTinyImage();
    const out = join(cwd, 'out');
    const r = await kola(['run', '-E', 'proj', '-j', '3', '--output-dir', out], { cwd, timeoutMs: 600_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('--- PASS: ext.proj.reboot-then-pass');
    expect(r.stdout).toContain('--- SKIP: ext.proj.skipper');
    expect(r.stdout).toContain('--- FAIL: ext.proj.failer');
    const report = await readReport(out);
    // -E alone runs only the external tests
    expect(report.tests.map((t) => [t.name, t.result]).sort()).toEqual([
      ['ext.proj.failer', 'FAIL'],
      ['ext.proj.reboot-then-pass', 'PASS'],
      ['ext.proj.skipper', 'SKIP'],
    ]);
    const by = (n: string) => report.tests.find((t) => t.name === n);
    const pass = by('ext.proj.reboot-then-pass')?.output ?? '';
    expect(pass).toMatch(/reboot-then-pass on qemu-\w+: asked for a reboot \(mark mark1\)/);
    expect(pass).toMatch(/before reboot on [0-9a-f-]{36}/);
    expect(pass).not.toContain('never printed');
    expect(pass).toContain(
      'after reboot as root with KOLA_TEST=ext.proj.reboot-then-pass in /var/lib/kola-ext/ext.proj.reboot-then-pass',
    );
    // env -i: only kola's variables (PATH HOME USER LOGNAME LANG KOLA_TEST KOLA_TEST_EXE KOLA_EXT_DATA KOLA_MACHINES, the two marks) and the shell's PWD/SHLVL
    const vars = Number(/env: (\d+) variables/.exec(pass)?.[1]);
    expect(vars).toBeGreaterThanOrEqual(11);
    expect(vars).toBeLessThanOrEqual(14);
    expect(by('ext.proj.skipper')).toMatchObject({
      skipReason: 'skipper exited 77 (skip): not for this image',
    });
    const fail = by('ext.proj.failer')?.output ?? '';
    expect(fail).toContain('  stdout:\n    checking the impossible');
    expect(fail).toContain('  stderr:\n    it went wrong');
    expect(fail).toMatch(/failer failed on qemu-\w+ \(exit status 3\): it went wrong/);
  });

  it('a test file that is not executable is exit 2 naming it (no machine boots)', async () => {
    const dir = join(cwd, 'noexec');
    await script(dir, 'ok.sh', '#!/bin/sh\n');
    await script(dir, 'forgot.sh', '#!/bin/sh\n', 0o644);
    const r = await kola(['run', '-E', 'noexec'], { cwd, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`external test ${join(dir, 'forgot.sh')} is not executable`);
    expect(r.stderr).toContain(`chmod +x ${join(dir, 'forgot.sh')}`);
    expect(r.stderr).not.toContain('=== RUN');
  });

  it('metadata with wrong types is exit 2 naming the file and the field', async () => {
    const dir = join(cwd, 'badmeta');
    await script(dir, 't.sh', '#!/bin/sh\n');
    await writeFile(join(dir, 'kola.json'), '{"clusterSize": "2", "tags": ["a", 3]}');
    const r = await kola(['run', '-E', 'badmeta'], { cwd, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`external test metadata ${join(dir, 'kola.json')}: field 'clusterSize': `);
    expect(r.stderr).toContain("field 'tags");
    expect(r.stderr).not.toContain('=== RUN');
  });
});
