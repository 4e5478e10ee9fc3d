import { describe, expect, it } from 'vitest';
import { findMount, parseMountinfo } from './mountinfo.js';
import { groupsOfUser, parseGroup, parsePasswd } from './passwd.js';
import { formatIPv6, parseProcNet } from './proc-net.js';
import { processMatches } from './processes.js';

describe('/proc/net parsing', () => {
  it('decodes listening IPv4 and IPv6 tcp sockets (not connected ones) and every udp socket, as goss (GOnetstat) reads them', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
      '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0',
      '   2: 0100007F:0016 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0',
    ].join('\n');
    expect(parseProcNet(tcp, 'tcp')).toEqual([
      { proto: 'tcp', ip: '127.0.0.1', port: 22 },
      { proto: 'tcp', ip: '0.0.0.0', port: 8080 },
    ]);
    const tcp6 = [
      '  sl  local_address                         remote_address                        st',
      '   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 0',
      '   1: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 0A 0',
      '   2: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 0',
      '   3: 000080FE00000000FF005452120000FE:0050 00000000000000000000000000000000:0000 0A 0',
    ].join('\n');
    expect(parseProcNet(tcp6, 'tcp6').map((l) => `${l.ip} ${l.port}`)).toEqual([
      ':: 22',
      '::1 53',
      '::ffff:127.0.0.1 8080',
      'fe80::5254:ff:fe00:12 80',
    ]);
    const udp =
      '  sl  local_address rem_address   st\n  1: 3500007F:0035 00000000:0000 07 0\n  2: 3500007F:0036 08080808:0035 01 0\n';
    expect(parseProcNet(udp, 'udp')).toEqual([
      { proto: 'udp', ip: '127.0.0.53', port: 53 },
      { proto: 'udp', ip: '127.0.0.53', port: 54 },
    ]);
  });

  it('formats IPv6 addresses as RFC 5952 text', () => {
    expect(formatIPv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])).toBe(
      '2001:db8::1:0:0:1',
    );
    expect(formatIPv6([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])).toBe(
      '2001:db8:1:1:1:1:1:1',
    );
  });
});

describe('passwd and group parsing', () => {
  const passwd = parsePasswd(
    'root:x:0:0:root:/root:/bin/bash\n# comment\ncore:x:500:500:Core:/home/core:/bin/sh\nbroken:x:zz:1::/:\n',
  );
  const groups = parseGroup('root:x:0:\ncore:x:500:\nwheel:x:10:root,core\ndocker:x:233:core\n');

  it('reads users and skips malformed lines', () => {
    expect(passwd.map((u) => u.name)).toEqual(['root', 'core']);
    expect(passwd[1]).toEqual({ name: 'core', uid: 500, gid: 500, home: '/home/core', shell: '/bin/sh' });
  });

  it('finds primary and supplementary groups', () => {
    expect(groupsOfUser(passwd[1]!, groups)).toEqual(['core', 'docker', 'wheel']);
    expect(groupsOfUser(passwd[0]!, groups)).toEqual(['root', 'wheel']);
  });
});

describe('mountinfo parsing', () => {
  const text = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro',
    '23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
    '40 22 0:35 / /mnt/my\\040disk ro,relatime - tmpfs tmp\\040fs rw,size=1024k',
    '41 22 0:36 / /run rw - tmpfs tmpfs rw',
    '42 22 0:37 / /run rw,nosuid - tmpfs tmpfs rw,mode=755',
  ].join('\n');
  const entries = parseMountinfo(text);

  it('reads options, file system, source and unescapes paths', () => {
    expect(findMount(entries, '/mnt/my disk')).toEqual({
      mountPoint: '/mnt/my disk',
      opts: ['ro', 'relatime'],
      filesystem: 'tmpfs',
      source: 'tmp fs',
      vfsOpts: ['rw', 'size=1024k'],
    });
    expect(findMount(entries, '/proc/')?.opts).toContain('noexec');
  });

  it('returns the topmost of stacked mounts', () => {
    expect(findMount(entries, '/run')?.vfsOpts).toEqual(['rw', 'mode=755']);
    expect(findMount(entries, '/nope')).toBeUndefined();
  });
});

describe('process names', () => {
  it('matches comm, a long name cut to 15 characters, or argv[0]', () => {
    expect(processMatches({ pid: 1, comm: 'sshd', argv0: 'sshd' }, 'sshd')).toBe(true);
    expect(
      processMatches({ pid: 1, comm: 'systemd-network', argv0: 'systemd-networkd' }, 'systemd-networkd'),
    ).toBe(true);
    expect(processMatches({ pid: 1, comm: 'node', argv0: 'node' }, 'no')).toBe(false);
  });
});
