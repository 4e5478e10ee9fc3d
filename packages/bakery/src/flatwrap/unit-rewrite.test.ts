import { describe, expect, it } from 'vitest';
import { execCommands, rewriteUnit, unitTarget, unitWord, type ExecRoute } from './unit-rewrite.js';

const NGINX = [
  '[Unit]',
  'Description=nginx',
  '',
  '[Service]',
  'Type=forking',
  'PIDFile=/run/nginx.pid',
  'ExecStartPre=/usr/sbin/nginx -t -q -g "daemon on; master_process on;"',
  'ExecStart=/usr/sbin/nginx -g "daemon on; master_process on;"',
  'ExecReload=/usr/sbin/nginx -g "daemon on; master_process on;" -s reload',
  'ExecStop=-/sbin/start-stop-daemon --quiet --stop --retry QUIT/5 --pidfile /run/nginx.pid',
  '# ExecStart=/usr/sbin/commented-out',
  'ExecStopPost=/bin/kill -HUP $MAINPID',
  '',
].join('\n');

describe('unitTarget', () => {
  it('puts units and drop-ins in /usr/lib/systemd, whatever directory they come from', () => {
    expect(unitTarget('/lib/systemd/system/nginx.service')).toBe('/usr/lib/systemd/system/nginx.service');
    expect(unitTarget('/etc/systemd/system/x.timer')).toBe('/usr/lib/systemd/system/x.timer');
    expect(unitTarget('/usr/lib/systemd/user/a.socket')).toBe('/usr/lib/systemd/user/a.socket');
    expect(unitTarget('/etc/systemd/system/nginx.service.d/override.conf')).toBe(
      '/usr/lib/systemd/system/nginx.service.d/override.conf',
    );
  });

  it('leaves everything else alone', () => {
    expect(unitTarget('/usr/lib/systemd/system-generators/gen')).toBeUndefined();
    expect(unitTarget('/usr/lib/systemd/system/README')).toBeUndefined();
    expect(unitTarget('/etc/systemd/system/multi-user.target.wants/nginx.service')).toBeUndefined();
    expect(unitTarget('/usr/bin/nginx.service')).toBeUndefined();
  });
});

describe('execCommands', () => {
  it('finds the program of every Exec*= line with its prefix, skipping comments, resets and continuations', () => {
    const text = [
      '[Service]',
      'ExecStart=',
      'ExecStart=@/usr/bin/x argv0 a',
      'ExecStartPre=-+/bin/true \\',
      'ExecStart=/not/a/directive',
      '  ExecStop = "/opt/my tool" --stop',
      '#ExecStop=/x',
    ].join('\n');
    expect(execCommands(text).map((c) => [c.line, c.key, c.prefix, c.path])).toEqual([
      [3, 'ExecStart', '@', '/usr/bin/x'],
      [4, 'ExecStartPre', '-+', '/bin/true'],
      [6, 'ExecStop', '', '/opt/my tool'],
    ]);
  });
});

describe('rewriteUnit', () => {
  const routes = new Map<string, ExecRoute>([
    ['/usr/sbin/nginx', { wrapper: '/usr/bin/nginx' }],
    ['/sbin/start-stop-daemon', { wrapper: '/usr/bin/start-stop-daemon' }],
    ['/bin/kill', { runner: '/usr/lib/flatwrap/nginx/run' }],
  ]);

  it('sends wrapped programs to their wrapper and keeps prefixes, arguments and the rest of the file', () => {
    const r = rewriteUnit(NGINX, routes);
    const lines = r.text.split('\n');
    expect(lines[6]).toBe('ExecStartPre=/usr/bin/nginx -t -q -g "daemon on; master_process on;"');
    expect(lines[7]).toBe('ExecStart=/usr/bin/nginx -g "daemon on; master_process on;"');
    expect(lines[8]).toBe('ExecReload=/usr/bin/nginx -g "daemon on; master_process on;" -s reload');
    expect(lines[9]).toBe(
      'ExecStop=-/usr/bin/start-stop-daemon --quiet --stop --retry QUIT/5 --pidfile /run/nginx.pid',
    );
    expect(lines[10]).toBe('# ExecStart=/usr/sbin/commented-out');
    expect(lines[5]).toBe('PIDFile=/run/nginx.pid');
    expect(r.changes.map((c) => c.key)).toEqual([
      'ExecStartPre',
      'ExecStart',
      'ExecReload',
      'ExecStop',
      'ExecStopPost',
    ]);
    // Only the Exec lines changed.
    expect(lines.filter((l, i) => l !== NGINX.split('\n')[i]).length).toBe(5);
  });

  it('puts the runner in front of other programs of the root filesystem', () => {
    const r = rewriteUnit(NGINX, routes);
    expect(r.text.split('\n')[11]).toBe('ExecStopPost=/usr/lib/flatwrap/nginx/run /bin/kill -HUP $MAINPID');
  });

  it('keeps the argv[0] of @ right after the runner and quoted programs quoted', () => {
    const text = 'ExecStart=@/usr/bin/x myname --flag\nExecStop="/opt/my tool" --stop\n';
    const r = rewriteUnit(
      text,
      new Map<string, ExecRoute>([
        ['/usr/bin/x', { runner: '/usr/lib/flatwrap/n/run' }],
        ['/opt/my tool', { wrapper: '/opt/wrapped tool' }],
      ]),
    );
    expect(r.text).toBe(
      'ExecStart=@/usr/lib/flatwrap/n/run myname /usr/bin/x --flag\nExecStop="/opt/wrapped tool" --stop\n',
    );
  });

  it('leaves programs it has no route for as they are', () => {
    const r = rewriteUnit(NGINX, new Map());
    expect(r.text).toBe(NGINX);
    expect(r.changes).toEqual([]);
  });
});

describe('unitWord', () => {
  it('quotes spaces and escapes systemd specifiers and variables', () => {
    expect(unitWord('/usr/bin/x')).toBe('/usr/bin/x');
    expect(unitWord('/opt/a b')).toBe('"/opt/a b"');
    expect(unitWord('/opt/100%')).toBe('/opt/100%%');
    expect(unitWord('/opt/$x')).toBe('/opt/$$x');
    expect(unitWord('/opt/"q"')).toBe('"/opt/\\"q\\""');
  });
});
