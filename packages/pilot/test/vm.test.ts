// vm-pilot with real qemu (-M microvm; KVM when it works, else TCG) booting the project's tiny
// kernel and initramfs: the app's output, stdin and exit code; a rootfs image with an overlay
// and includes; a resume VM that keeps running between calls.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  busyboxTree,
  DIST,
  requireBuilt,
  run,
  sandbox,
  terminateTrappingApp,
  waitForOutput,
  type Sandbox,
} from './helpers.js';

let sb: Sandbox;
let tiny: string;

/** The tiny image (images/tiny/build.sh), built when it is not cached yet. */
async function tinyImage(): Promise<string> {
  const cache =
    process.env.MANTLE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mantle');
  const dir = join(cache, 'images', 'tiny-latest');
  if (existsSync(join(dir, 'vmlinuz'))) return dir;
  const build = fileURLToPath(new URL('../../../images/tiny/build.sh', import.meta.url));
  // not execFileSync: a build freezes the worker (vitest's RPC then times out)
  const r = await run(build, []);
  if (r.code !== 0) throw new Error(`${build} failed: ${r.stderr}`);
  return r.stdout.trim();
}

beforeAll(async () => {
  await requireBuilt();
  tiny = await tinyImage();
  sb = await sandbox('vm');
  const pulled = await sb.pilot([
    'vm',
    'pull',
    '--name',
    'tiny',
    '--kernel',
    join(tiny, 'vmlinuz'),
    '--initrd',
    join(tiny, 'initrd.img'),
  ]);
  expect(pulled.code).toBe(0);
  for (const [app, target, extra] of [
    ['/usr/bin/vmecho', '/bin/echo', []],
    ['/usr/bin/vmsh', '/bin/sh', []],
    ['/usr/bin/rvmsh', '/bin/sh', ['--resume']],
  ] as const) {
    const r = await sb.pilot([
      'vm',
      'register',
      '--vm',
      'tiny',
      '--app',
      app,
      '--target',
      target,
      '--no-net',
      ...extra,
    ]);
    expect(r.stderr).toBe('');
  }
}, 600_000);

afterAll(async () => {
  await sb?.cleanup();
});

/** Command lines of the processes that name a path under `dir` (from /proc: no procps on a minimal Debian). */
function processesUnder(dir: string): string[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return ''; // ended meanwhile
      }
    })
    .filter((c) => c.includes(dir));
}

describe('vm-pilot (tiny kernel + initramfs)', () => {
  it('runs echo hi and returns its output and exit code 0', async () => {
    const r = await sb.app('/usr/bin/vmecho', ['hi']);
    expect(r).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
  });

  it("returns a failing command's exit code, its stderr apart from stdout, and gets stdin", async () => {
    const r = await sb.app('/usr/bin/vmsh', ['-c', 'read x; echo "got $x"; echo oops >&2; exit 7'], {
      input: 'piped\n',
    });
    expect(r).toEqual({ code: 7, stdout: 'got piped\n', stderr: 'oops\n' });
  });

  it('resume: later calls run in the same VM, signals reach their app; %remove stops it', async () => {
    const first = await sb.app('/usr/bin/rvmsh', ['-c', 'cat /proc/sys/kernel/random/boot_id; exit 3']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(3);
    const second = await sb.app('/usr/bin/rvmsh', ['-c', 'cat /proc/sys/kernel/random/boot_id; cat'], {
      input: 'stdin too\n',
    });
    expect(second).toEqual({ code: 0, stdout: `${first.stdout}stdin too\n`, stderr: '' });
    const ids = join(sb.root, 'tmp', 'flakes', String(process.getuid!()));
    expect(existsSync(join(ids, 'rvmsh.vmid'))).toBe(true);
    // a signal to a resume call reaches the app in the kept VM
    expect(await terminateTrappingApp(sb, '/usr/bin/rvmsh')).toEqual({
      code: 7,
      stdout: 'ready\ngot-TERM\n',
    });
    const last = await sb.app('/usr/bin/rvmsh', ['%remove', '-c', 'echo bye']);
    expect(last.stdout).toBe('bye\n');
    expect(existsSync(join(ids, 'rvmsh.vmid'))).toBe(false);
  });
});

describe('vm-pilot with a flake as flake-ctl writes it', () => {
  it('runs a firecracker flake (flake-ctl template, its boot_args, 4 GiB, 2 vCPUs) under qemu unchanged; @NAME boot_args', async () => {
    // `flake-ctl firecracker register` output for the image `vm pull` stored: its sci init,
    // root and ip settings are the in-VM init's business here (dropped), the rest is kept
    const images = '/var/lib/firecracker/images/tiny';
    const flake = [
      'include:',
      '  tar: ~',
      '  path: ~',
      'vm:',
      '  name: tiny',
      '  target_app_path: /bin/sh',
      '  host_app_path: /usr/bin/fcsh',
      '  base_vm: ~',
      '  layers: ~',
      '  runtime:',
      '    runas: root',
      '    resume: false',
      '    force_vsock: false',
      '    firecracker:',
      '      boot_args:',
      '        - "init=/usr/sbin/sci"',
      '        - "console=ttyS0"',
      '        - "root=/dev/vda"',
      '        - "acpi=off"',
      '        - "rd.neednet=1"',
      '        - "ip=dhcp"',
      '        - "quiet"',
      '        - "pilot.test=global"',
      '      overlay_size: ~',
      '      rootfs_image_path: ~',
      `      kernel_image_path: ${images}/kernel`,
      `      initrd_path: ${images}/initrd`,
      '      mem_size_mib: 4096',
      '      vcpu_count: 2',
      '      cache_type: ~',
      '      instance:',
      '        "@id":',
      '          boot_args:',
      '            - "pilot.test=instance"',
      '',
    ].join('\n');
    await writeFile(join(sb.root, 'usr', 'share', 'flakes', 'fcsh.yaml'), flake);
    await mkdir(join(sb.root, 'usr', 'share', 'flakes', 'fcsh.d'));
    await symlink(join(DIST, 'vm-pilot.js'), join(sb.root, 'usr', 'bin', 'fcsh'));
    const script =
      'grep -o "pilot.test=[a-z]*" /proc/cmdline; grep -c ^processor /proc/cpuinfo; ip -4 addr show eth0 | grep -c 10.0.2.15; exit 5';
    const r = await sb.app('/usr/bin/fcsh', ['@id', '-c', script]);
    expect(r).toEqual({ code: 5, stdout: 'pilot.test=instance\n2\n1\n', stderr: '' });
  });
});

describe('vm-pilot with a rootfs image', () => {
  it('runs the app in the rootfs, writes go to the overlay, includes are there', async () => {
    const tree = await busyboxTree(sb.dir);
    await writeFile(join(tree, 'etc', 'motd'), 'the rootfs image\n');
    const img = join(sb.dir, 'rootfs.ext4');
    expect(
      (
        await run('mkfs.ext4', ['-q', '-F', '-d', tree, img, '32M'], {
          env: { ...sb.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
        })
      ).code,
    ).toBe(0);
    await mkdir(join(sb.root, 'opt', 'pilot'), { recursive: true });
    await writeFile(join(sb.root, 'opt', 'pilot', 'inc.txt'), 'included\n');
    expect(
      (
        await sb.pilot([
          'vm',
          'pull',
          '--name',
          'bb',
          '--kernel',
          join(tiny, 'vmlinuz'),
          '--initrd',
          join(tiny, 'initrd.img'),
          '--rootfs',
          img,
        ])
      ).code,
    ).toBe(0);
    const reg = await sb.pilot([
      'vm',
      'register',
      '--vm',
      'bb',
      '--app',
      '/usr/bin/bbvm',
      '--target',
      '/bin/sh',
      '--no-net',
      '--overlay-size',
      '64MiB',
      '--include-path',
      '/opt/pilot',
    ]);
    expect(reg.stderr).toBe('');
    const r = await sb.app('/usr/bin/bbvm', [
      '-c',
      'cat /etc/motd /opt/pilot/inc.txt; echo w > /written && cat /written; exit 4',
    ]);
    expect(r).toEqual({ code: 4, stdout: 'the rootfs image\nincluded\nw\n', stderr: '' });
  });
});

describe('vm-pilot without firecracker', () => {
  it('hypervisor: firecracker on a host without it: exit 3, "firecracker is unavailable"', async () => {
    await writeFile(
      join(sb.root, 'usr', 'share', 'flakes', 'vmecho.d', 'fc.yaml'),
      'vm:\n  runtime:\n    hypervisor: firecracker\n',
    );
    const r = await sb.app('/usr/bin/vmecho', ['hi']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('firecracker is unavailable');
  });
});

describe('vm-pilot and signals', () => {
  it("SIGTERM to the launcher reaches the app in the VM: its handler runs, vm-pilot exits with the app's 7, no qemu left", async () => {
    expect(await terminateTrappingApp(sb, '/usr/bin/vmsh')).toEqual({ code: 7, stdout: 'ready\ngot-TERM\n' });
    expect(processesUnder(sb.root)).toEqual([]);
  });

  it('an app that dies of the signal gives 128+n; a second signal stops the VM of an app that ignores the first', async () => {
    const child = sb.spawnApp('/usr/bin/vmsh', ['-c', 'trap "" INT; echo ready; sleep 600']);
    const done = new Promise<number>((r) =>
      child.on('exit', (code, signal) => r(code ?? (signal ? -1 : -2))),
    );
    await waitForOutput(child, 'ready', 240_000);
    child.kill('SIGINT'); // ignored by the app
    child.kill('SIGINT'); // the second one stops the VM
    expect(await done).toBe(130);
    expect(processesUnder(sb.root)).toEqual([]);
    const r = await sb.app('/usr/bin/vmsh', ['-c', 'kill -HUP $$']);
    expect(r.code).toBe(129);
  });
});

describe('vm-pilot with a terminal', () => {
  it('the app gets a pty in the VM (tty, test -t 0, the window size) and its exit code', async () => {
    // util-linux script gives vm-pilot a real terminal on stdin/stdout
    const inner = [
      join(sb.root, 'usr', 'bin', 'vmsh'),
      '-c',
      "'tty; test -t 0 && echo stdin-is-a-tty; stty size; exit 6'",
    ];
    const r = await run('script', ['-qec', `stty rows 33 cols 101; ${inner.join(' ')}`, '/dev/null'], {
      env: sb.env,
      cwd: sb.root,
    });
    const text = r.stdout.replace(/\r/g, '');
    expect(text).toMatch(/^\/dev\/pts\/\d+$/m);
    expect(text).toContain('stdin-is-a-tty\n');
    expect(text).toContain('33 101\n');
    expect(r.code).toBe(6);
  });
});

describe('vm-pilot boot watchdog', () => {
  it('a VM that does not reach its init in time is stopped: exit 1, console tail, no qemu left', async () => {
    const r = await sb.app('/usr/bin/vmsh', ['-c', 'true'], { env: { MANTLE_PILOT_VM_BOOT_TIMEOUT: '0.2' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the VM did not start its init within 0.2 s');
    expect(processesUnder(sb.root)).toEqual([]);
  });
});
