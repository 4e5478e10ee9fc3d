import { describe, expect, it } from 'vitest';
import { InputError } from '@mantle/core/errors';
import { analyzeCheckSpec, parseCheckSpec } from './parse-spec.js';

function problems(text: string): string[] {
  return analyzeCheckSpec(text, { file: 'spec.yaml' }).problems.map(
    (p) => `${p.line}:${p.col}: ${p.message}`,
  );
}

describe('parseCheckSpec', () => {
  it('parses every kind in spec order with the line of each resource', () => {
    const spec = parseCheckSpec(
      [
        'file:',
        '  /etc/passwd:',
        '    exists: true',
        '    mode: "0644"',
        '    contains: [root, "/^root:/", "!nobody-here"]',
        'port:',
        '  tcp:22: {listening: true, ip: [0.0.0.0]}',
        'command:',
        '  uname:',
        '    exit-status: 0',
        '    stdout: [Linux]',
        '    timeout: 5s',
      ].join('\n'),
      { file: 'spec.yaml' },
    );
    expect(spec.file).toBe('spec.yaml');
    expect(spec.resources.map((r) => [r.kind, r.id, r.line])).toEqual([
      ['file', '/etc/passwd', 2],
      ['port', 'tcp:22', 7],
      ['command', 'uname', 9],
    ]);
    const file = spec.resources[0];
    if (file?.kind !== 'file') throw new Error('expected a file resource');
    expect(file.props.mode).toBe('0644');
    expect(file.props.contains?.map((p) => [p.source, p.negate, p.regex?.source ?? p.text])).toEqual([
      ['root', false, 'root'],
      ['/^root:/', false, '^root:'],
      ['!nobody-here', true, 'nobody-here'],
    ]);
    const cmd = spec.resources[2];
    expect(cmd?.kind === 'command' && cmd.props.timeout).toBe(5000);
  });

  it('names an unknown top-level key and its line, and goss keys kolet does not implement', () => {
    expect(problems('user:\n  root: {exists: true}\ninterfaces:\n  eth0: {exists: true}\n')).toEqual([
      "3:1: unknown key 'interfaces', did you mean 'interface'? (known: user, group, file, service, process, port, kernel-param, mount, command, dns, http, package, addr, interface, gossfile)",
    ]);
    expect(problems('matching:\n  x: {content: 1, matches: 1}\n')).toEqual([
      "1:1: unsupported key 'matching': goss's matching checks (a value against advanced matchers) are not supported by kolet; a command check with stdout patterns covers most uses",
    ]);
  });

  it('names an unknown property, its line, and the likely meant key', () => {
    const p = problems('file:\n  /etc/hosts:\n    exists: true\n    mdoe: "0644"\n');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(
      /^4:5: file '\/etc\/hosts': unknown key 'mdoe', did you mean 'mode'\? \(known: .*exists, mode,/,
    );
  });

  it('throws InputError (exit 2) whose message holds file, line and key', () => {
    let err: unknown;
    try {
      parseCheckSpec('service:\n  sshd:\n    enabled: true\n    runing: true\n', { file: '/tmp/s.yaml' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.exitCode).toBe(2);
    expect(e.code).toBe('CHECK_SPEC_INVALID');
    expect(e.message).toContain(
      "/tmp/s.yaml:4:5: service 'sshd': unknown key 'runing', did you mean 'running'?",
    );
  });

  it('reports wrong types with the value found and the line', () => {
    const p = problems(
      [
        'file:',
        '  /etc/hosts:',
        '    mode: 644', // unquoted: YAML makes it a number
        '    size: big',
        '    contains: hello', // not a list
        'user:',
        '  root: {uid: -1, exists: yes}',
        'http:',
        '  http://127.0.0.1:1/: {status: 200, method: FETCH}',
      ].join('\n'),
    );
    expect(p).toEqual([
      `3:11: file '/etc/hosts': mode: expected a quoted octal string such as "0644" (unquoted YAML numbers lose the octal meaning), got number 644`,
      `4:11: file '/etc/hosts': size: expected a whole number, got "big"`,
      `5:15: file '/etc/hosts': contains: expected a list of strings or /regex/ patterns, got "hello"`,
      `7:15: user 'root': uid: expected 0 or more, got number -1`,
      `7:27: user 'root': exists: expected true or false, got "yes"`,
      `9:46: http 'http://127.0.0.1:1/': method: expected an HTTP method such as GET, got "FETCH"`,
    ]);
  });

  it('refuses a timeout past 24h (Node timers would fire at once)', () => {
    const p = problems('command:\n  uname:\n    exit-status: 0\n    timeout: 9999999h\n');
    expect(p.join('\n')).toContain('9999999h is longer than the maximum of 24h');
  });

  it('checks resource keys per kind', () => {
    expect(
      problems(
        [
          'port:',
          '  ssh: {listening: true}',
          '  tcp:70000: {listening: true}',
          'file:',
          '  etc/hosts: {exists: true}',
          'http:',
          '  ftp://x/: {status: 200}',
          'addr:',
          '  127.0.0.1:22: {reachable: true}',
          'kernel-param:',
          '  ../../etc/shadow: {value: x}',
        ].join('\n'),
      ),
    ).toEqual([
      "2:3: port 'ssh': expected tcp:PORT, tcp6:PORT, udp:PORT or udp6:PORT",
      "3:3: port 'tcp:70000': port must be 0-65535",
      "5:3: file 'etc/hosts': expected an absolute path",
      "7:3: http 'ftp://x/': expected an http:// or https:// URL",
      "9:3: addr '127.0.0.1:22': expected tcp://HOST:PORT",
      "11:3: kernel-param '../../etc/shadow': expected a sysctl name such as kernel.ostype",
    ]);
  });

  it('reports a bad regex at the list item', () => {
    expect(problems('command:\n  true:\n    stdout: [ok, "/(unclosed/"]\n')).toEqual([
      "3:18: command 'true': stdout[1]: invalid regular expression /(unclosed/: Invalid regular expression: /(unclosed/m: Unterminated group",
    ]);
  });

  it('rejects a resource with nothing to check', () => {
    expect(problems('process:\n  sshd:\ngroup:\n  wheel: {title: admins}\n')).toEqual([
      "2:3: process 'sshd': nothing to check: give at least one of running",
      "4:3: group 'wheel': nothing to check: give at least one of exists, gid",
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    expect(problems('file:\n  /a: {exists: true\n')[0]).toMatch(/^[23]:\d+: YAML syntax: Flow map/);
    expect(problems('user:\n  root: {exists: true}\n  root: {exists: false}\n')[0]).toMatch(
      /^3:3: YAML syntax: Map keys must be unique/,
    );
  });

  it('rejects an empty spec and a top level that is not a mapping', () => {
    expect(problems('')[0]).toMatch(/^1:1: the spec is empty/);
    expect(problems('- user\n')[0]).toMatch(/^1:1: expected a mapping of resource kinds/);
  });

  it('accepts goss `contents` as `contains`, numbers as strings in lists, and empty sections', () => {
    const spec = parseCheckSpec(
      'file:\n  /etc/os-release:\n    contents: [ID=]\npackage:\n  bash: {versions: [5.2]}\ndns:\n',
    );
    const f = spec.resources[0];
    expect(f?.kind === 'file' && f.props.contains?.[0]?.text).toBe('ID=');
    const p = spec.resources[1];
    expect(p?.kind === 'package' && p.props.versions).toEqual(['5.2']);
    expect(spec.resources).toHaveLength(2);
  });

  it('parses interface checks: exists, mtu, addrs in one canonical spelling', () => {
    const spec = parseCheckSpec(
      'interface:\n  eth0: {exists: true, mtu: 1500, addrs: [192.0.2.1/24, "FE80:0:0::0:1/64", "::ffff:192.0.2.9/128"]}\n',
    );
    const r = spec.resources[0];
    expect(r?.kind).toBe('interface');
    expect(r?.kind === 'interface' && r.props).toEqual({
      exists: true,
      mtu: 1500,
      addrs: ['192.0.2.1/24', 'fe80::1/64', '::ffff:192.0.2.9/128'],
    });
    expect(
      problems(
        [
          'interface:',
          '  eth0: {addrs: [192.0.2.1, 10.0.0.1/33, "fe80::1%eth0/64"], mtu: -1}',
          '  bad/name: {exists: true}',
          '  averyveryverylongname: {exists: true}',
          '  eth1: {exist: true}',
        ].join('\n'),
      ),
    ).toEqual([
      '2:18: interface \'eth0\': addrs[0]: expected an address with its prefix length such as 192.0.2.1/24 or fe80::1/64, got "192.0.2.1"',
      '2:29: interface \'eth0\': addrs[1]: expected an address with its prefix length such as 192.0.2.1/24 or fe80::1/64, got "10.0.0.1/33"',
      '2:42: interface \'eth0\': addrs[2]: expected an address with its prefix length such as 192.0.2.1/24 or fe80::1/64, got "fe80::1%eth0/64"',
      "2:67: interface 'eth0': mtu: expected 0 or more, got number -1",
      "3:3: interface 'bad/name': expected an interface name (1-15 characters, no /, : or spaces), such as eth0",
      "4:3: interface 'averyveryverylongname': expected an interface name (1-15 characters, no /, : or spaces), such as eth0",
      "5:10: interface 'eth1': unknown key 'exist', did you mean 'exists'? (known: skip, title, meta, exists, addrs, mtu)",
    ]);
  });

  it('reads the gossfile section as unresolved includes with their place (parseCheckSpec reads no files)', () => {
    const spec = parseCheckSpec(
      [
        'gossfile:',
        '  base.yaml: {}',
        '  "conf.d/*.yaml":',
        '  app:',
        '    file: ../app/goss.yaml',
        '    skip: true',
        'user:',
        '  root: {exists: true}',
      ].join('\n'),
    );
    expect(spec.resources.map((r) => r.id)).toEqual(['root']);
    expect(spec.includes).toEqual([
      { key: 'base.yaml', path: 'base.yaml', skip: false, line: 2, col: 3 },
      { key: 'conf.d/*.yaml', path: 'conf.d/*.yaml', skip: false, line: 3, col: 3 },
      { key: 'app', path: '../app/goss.yaml', skip: true, line: 4, col: 3 },
    ]);
    expect(parseCheckSpec('gossfile:\n  a.yaml: {}\n').resources).toEqual([]);
    expect(problems('gossfile:\n  a.yaml: {skip: yes, fil: b.yaml}\n  b.yaml: [x]\ngossfile2: {}\n')).toEqual(
      [
        '2:18: gossfile \'a.yaml\': skip: expected true or false, got "yes"',
        "2:23: gossfile 'a.yaml': unknown key 'fil', did you mean 'file'? (known: file, skip, title, meta)",
        "3:11: gossfile 'b.yaml': (properties): expected a mapping such as {} or {skip: true}, got a list",
        "4:1: unknown key 'gossfile2', did you mean 'gossfile'? (known: user, group, file, service, process, port, kernel-param, mount, command, dns, http, package, addr, interface, gossfile)",
      ],
    );
  });

  it('renders a templated spec first; resource lines and every problem point into the template source', () => {
    const src = [
      'user:',
      '{{- range .Vars.users }}',
      '  {{ . }}: {exists: true}',
      '{{- end }}',
      'file:',
      '  {{ .Env.KT_HOME }}: {exists: true, mdoe: "0700"}',
    ].join('\n');
    const data = { vars: { users: ['root', 'core'] }, env: { KT_HOME: '/home/core' } };
    const { spec, problems: found } = analyzeCheckSpec(src, { file: 's.yaml', template: data });
    expect(spec.resources.map((r) => `${r.kind}:${r.id}@${r.line}`)).toEqual(['user:root@3', 'user:core@3']);
    expect(found.map((p) => `${p.line}:${p.col}: ${p.message}`)).toEqual([
      "6:38: file '/home/core': unknown key 'mdoe', did you mean 'mode'? (known: skip, title, meta, exists, mode, owner, group, filetype, linked-to, contains, contents, sha256, size)",
    ]);
    // a range that writes the same key twice is a duplicate key at the line of the range body
    const dup = analyzeCheckSpec('user:\n{{ range .Vars.u }}\n  x: {exists: true}\n{{ end }}', {
      template: { vars: { u: [1, 2] }, env: {} },
    }).problems;
    expect(dup.map((p) => `${p.line}:${p.col}`)).toEqual(['3:3']);
    expect(dup[0]?.message).toMatch(/Map keys must be unique/);
  });

  it('a template problem is a spec problem: InputError (exit 2) naming file:line:col and what is unsupported', () => {
    let err: unknown;
    try {
      parseCheckSpec('user:\n  root: {exists: true}\n  {{ printf "%s" .Vars.x }}: {exists: true}\n', {
        file: 'tpl.yaml',
        template: { vars: {}, env: {} },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect((err as InputError).message).toBe(
      'invalid check spec tpl.yaml:3:6: template: function "printf" is not supported (kolet has: and, or, not, eq, ne, lt, le, gt, ge, index, len, getEnv, mkSlice, toLower, toUpper, regexMatch)',
    );
  });
});
