import { describe, expect, it } from 'vitest';
import { instanceBootArgs, parseSize, qemuArgs, type VmSetup } from './setup.js';
import { shellWords } from './launch.js';
import { writeCpio, cpioFile } from './cpio.js';

describe('parseSize', () => {
  it('reads flake-ctl sizes', () => {
    expect(parseSize('20GiB')).toBe(20 * 1024 ** 3);
    expect(parseSize('2GB')).toBe(2e9);
    expect(parseSize('512m')).toBe(512 * 1024 ** 2);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('lots')).toBeUndefined();
  });
});

describe('instanceBootArgs', () => {
  const fc = {
    boot_args: ['console=ttyS0', 'ip=dhcp', 'quiet'],
    instance: { '@id': { boot_args: ['ip=172.16.0.2::172.16.0.1:255.255.255.0::eth0:off', 'app.x=1'] } },
  };
  it('replaces the global option of the same name and appends the others, for that @NAME only', () => {
    expect(instanceBootArgs(fc, '@id')).toEqual([
      'console=ttyS0',
      'ip=172.16.0.2::172.16.0.1:255.255.255.0::eth0:off',
      'quiet',
      'app.x=1',
    ]);
    expect(instanceBootArgs(fc, '@other')).toEqual(fc.boot_args);
    expect(instanceBootArgs(fc, undefined)).toEqual(fc.boot_args);
    expect(instanceBootArgs({ boot_args: null, instance: { '@id': null } }, '@id')).toEqual([]);
  });
});

describe('qemuArgs', () => {
  const setup: VmSetup = {
    file: 'f.yaml',
    kernel: '/k',
    initrd: undefined,
    rootfs: '/img/a,b',
    overlayBytes: undefined,
    memMiB: 256,
    vcpus: 1,
    cache: 'writeback',
    net: false,
    bootArgs: ['sci_resume=1'],
    target: '/bin/sh',
    resume: false,
  };
  it('boots microvm with its own init and doubles commas in paths', () => {
    const a = qemuArgs(setup, {
      accel: 'tcg',
      tscKhz: 2000000,
      initrd: '/i',
      console: '/t/console',
      files: { stdout: '/t/o', stderr: '/t/e', exit: '/t/x' },
      clientSockets: { cmd: '/t/c.sock' },
    });
    expect(a.slice(0, 2)).toEqual(['-accel', 'tcg']);
    expect(a).toContain('microvm');
    const append = a[a.indexOf('-append') + 1]!;
    expect(append).toContain('rdinit=/.pilot/init');
    expect(append).toContain('tsc_early_khz=2000000');
    expect(append).toContain('sci_resume=1');
    expect(a).toContain('id=root,file=/img/a,,b,format=raw,if=none,readonly=on');
  });

  it('a TTY app: pilot.tty and a plain TERM on the command line; the signal port counted', () => {
    const plan = {
      accel: 'tcg' as const,
      tscKhz: undefined,
      initrd: '/i',
      console: '/t/console',
      files: { stdout: '/t/o', stderr: '/t/e', exit: '/t/x' },
      clientSockets: { cmd: '/t/c.sock', stdin: '/t/i.sock', sig: '/t/s.sock' },
    };
    const append = (tty: { term: string | undefined }) => {
      const a = qemuArgs(setup, { ...plan, tty });
      return a[a.indexOf('-append') + 1]!.split(' ');
    };
    expect(append({ term: 'xterm-256color' })).toEqual(
      expect.arrayContaining(['pilot.tty', 'pilot.term=xterm-256color', 'pilot.ports=6']),
    );
    // a TERM that is not a plain name stays off the kernel command line
    expect(append({ term: 'x y' }).filter((w) => w.startsWith('pilot.term'))).toEqual([]);
    expect(qemuArgs(setup, plan)).toContain('virtserialport,chardev=sig,name=pilot.sig');
  });
});

describe('shellWords', () => {
  it('quotes every argument so the init gets exactly these words back', () => {
    expect(shellWords(['/bin/echo', "it's", '$(id)', 'a b'])).toBe(`'/bin/echo' 'it'\\''s' '$(id)' 'a b'`);
  });
});

describe('writeCpio', () => {
  it('writes newc headers, 4-byte aligned, with a trailer', () => {
    const b = writeCpio([cpioFile('x', Buffer.from('hello'))]);
    expect(b.subarray(0, 6).toString()).toBe('070701');
    expect(b.length % 4).toBe(0);
    expect(b.toString('latin1')).toContain('TRAILER!!!');
  });
});
