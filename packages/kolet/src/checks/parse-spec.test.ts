import { describe, expect, it } from 'vitest';
import { InputError } from '@mantle/core/errors';
import { analyzeCheckSpec, parseCheckSpec } from './parse-spec.js';

function problems(text: string): string[] {
  return analyzeCheckSpec(text, { file: 'spec.yaml' }).problems.map(
    (p) => `${p.line}:${p.col}: ${p.message}`,
  );
}

function warnings(text: string): string[] {
  return analyzeCheckSpec(text, { file: 'spec.yaml' }).spec.warnings ?? [];
}

describe('parseCheckSpec', () => {
  it('parses every kind in spec order with the place of each resource; attributes keep what was written', () => {
    const spec = parseCheckSpec(
      [
        'file:',
        '  /etc/passwd:',
        '    exists: true',
        '    mode: "0644"',
        '    contents: [root, "/^root:/", "!nobody-here"]',
        'port:',
        '  tcp:22: {listening: true, ip: [0.0.0.0]}',
        'command:',
        '  uname:',
        '    exit-status: 0',
        '    stdout: {have-prefix: Linux}',
        '    timeout: 5s',
        'matching:',
        '  m: {content: 5, matches: {gt: 1}}',
      ].join('\n'),
      { file: 'spec.yaml' },
    );
    expect(spec.file).toBe('spec.yaml');
    expect(spec.resources.map((r) => [r.kind, r.id, r.line, r.col])).toEqual([
      ['file', '/etc/passwd', 2, 3],
      ['port', 'tcp:22', 7, 3],
      ['command', 'uname', 9, 3],
      ['matching', 'm', 14, 3],
    ]);
    const file = spec.resources[0];
    expect(file?.kind === 'file' && file.props).toEqual({
      exists: true,
      mode: '0644',
      contents: ['root', '/^root:/', '!nobody-here'],
    });
    const cmd = spec.resources[2];
    expect(cmd?.kind === 'command' && cmd.props).toEqual({
      'exit-status': 0,
      stdout: { 'have-prefix': 'Linux' },
      timeout: 5000,
    });
  });

  it("fills goss's typed fields as yaml.v3 does: any scalar is a string's text, null is not given, yes/no are bools", () => {
    // goss's own integration suite writes `exec: true`; matchers keep their YAML values.
    const spec = parseCheckSpec(
      [
        'command:',
        '  command-override: {exec: true, exit-status: 0}',
        '  octal: {exec: 0644, exit-status: 127, title: 42, timeout: ~}',
        '  skipped: {exec: false, exit-status: 0, skip: yes}',
        'http:',
        '  http://127.0.0.1:1/: {status: 200, method: ~, request-body: 1.50, allow-insecure: on}',
        'gossfile:',
        '  base.yaml: {skip: no, file: ~}',
      ].join('\n'),
      { file: 'spec.yaml', allowEmpty: true },
    );
    expect(spec.resources.map((r) => r.props)).toEqual([
      { exec: 'true', 'exit-status': 0 },
      { exec: '0644', 'exit-status': 127, title: '42' },
      { exec: 'false', 'exit-status': 0, skip: true },
      { status: 200, 'request-body': '1.50', 'allow-insecure': true },
    ]);
    expect(spec.includes).toMatchObject([{ key: 'base.yaml', path: 'base.yaml', skip: false }]);
    // a mapping or list in a string field is still wrong, as for goss's decoder
    expect(problems('command:\n  x: {exec: [a], exit-status: 0}\n')).toEqual([
      "2:13: command 'x': exec: expected a string, got a list",
    ]);
  });

  it('reads numbers as goss (yaml.v3) reads them: a leading 0 is octal, underscores are allowed', () => {
    const spec = parseCheckSpec('file:\n  /x: {exists: true, mode: 0644, size: 1_000}\n');
    const f = spec.resources[0];
    expect(f?.kind === 'file' && [f.props.mode, f.props.size]).toEqual([420, 1000]);
  });

  it('names an unknown attribute, its line, and the likely meant key (goss rejects the file too)', () => {
    const p = problems('file:\n  /etc/hosts:\n    exists: true\n    mdoe: "0644"\n');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(
      /^4:5: file '\/etc\/hosts': unknown key 'mdoe', did you mean 'mode'\? \(known: skip, title, meta, path, exists, mode,/,
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

  it('refuses a timeout past 24h (Node timers would fire at once)', () => {
    const p = problems('command:\n  uname:\n    exit-status: 0\n    timeout: 9999999h\n');
    expect(p.join('\n')).toContain('9999999h is longer than the maximum of 24h');
  });

  it('types what shapes a check (timeouts, methods, flags, request headers) as goss types them', () => {
    expect(
      problems(
        [
          'command:',
          '  x: {exit-status: 0, timeout: soon, exec: [ls]}',
          'http:',
          '  u: {url: http://127.0.0.1/, status: 200, allow-insecure: "yes", request-headers: [nocolon]}',
          'dns:',
          '  d: {resolvable: true, retry_count: -1}',
        ].join('\n'),
      ),
    ).toEqual([
      "2:32: command 'x': timeout: expected milliseconds or a duration such as 5s",
      "2:44: command 'x': exec: expected a string, got a list",
      '4:60: http \'u\': allow-insecure: expected true or false, got "yes"',
      '4:85: http \'u\': request-headers[0]: expected "Name: value", got "nocolon"',
      "6:38: dns 'd': retry_count: expected 0 or more, got number -1",
    ]);
  });

  it('warns about what goss runs but reports as a failed check: a matcher it cannot build, patterns that are not text, empty lists', () => {
    expect(
      warnings(
        [
          'file:',
          '  /a: {exists: true, mode: {have-prefx: "06"}}',
          'command:',
          '  x: {exit-status: 0, stdout: [2], stderr: []}',
        ].join('\n'),
      ),
    ).toEqual([
      "spec.yaml:2:28: file '/a': mode: Syntax Error: Unknown matcher: have-prefx (goss fails this check)",
      'spec.yaml:4:31: command \'x\': stdout: patterns must be strings (quote 2): goss fails this check ("HavePatterns matcher expects patterns to be a string")',
      'spec.yaml:4:44: command \'x\': stderr: an empty list asserts nothing and always passes (goss skips it); use "" to assert empty content, or remove it',
    ]);
  });

  it('ignores an unknown top-level key as goss does, with a warning naming the likely meant one', () => {
    const { spec, problems: p } = analyzeCheckSpec(
      'user:\n  root: {exists: true}\ninterfaces:\n  eth0: {exists: true}\n',
      {
        file: 'spec.yaml',
      },
    );
    expect(p).toEqual([]);
    expect(spec.resources.map((r) => r.id)).toEqual(['root']);
    expect(spec.warnings?.[0]).toMatch(
      /^spec.yaml:3:1: unknown top-level key 'interfaces' is ignored, as goss ignores it, did you mean 'interface'\?/,
    );
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    expect(problems('file:\n  /a: {exists: true\n')[0]).toMatch(/^[23]:\d+: YAML syntax: Flow map/);
    expect(problems('user:\n  root: {exists: true}\n  root: {exists: false}\n')[0]).toMatch(
      /^3:3: YAML syntax: Map keys must be unique/,
    );
  });

  it('rejects a spec without tests, a resource without attributes and a top level that is not a mapping', () => {
    expect(problems('')[0]).toMatch(/^1:1: found 0 tests/);
    expect(problems('dns:\n')[0]).toMatch(/^1:1: found 0 tests/);
    expect(problems('process:\n  sshd:\n')).toEqual([
      "2:3: process 'sshd': expected a mapping of attributes (running), got nothing",
    ]);
    expect(problems('- user\n')[0]).toMatch(/^1:1: expected a mapping of resource kinds/);
    expect(analyzeCheckSpec('', { allowEmpty: true }).problems).toEqual([]);
  });

  it('accepts an empty mapping: goss runs it and fails the required attribute', () => {
    const spec = parseCheckSpec('user:\n  root: {}\n');
    expect(spec.resources).toHaveLength(1);
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
    expect(problems('gossfile:\n  a.yaml: {skip: sure, fil: b.yaml}\n  b.yaml: [x]\n')).toEqual([
      '2:18: gossfile \'a.yaml\': skip: expected true or false, got "sure"',
      "2:24: gossfile 'a.yaml': unknown key 'fil', did you mean 'file'? (known: file, skip, title, meta)",
      "3:11: gossfile 'b.yaml': (attributes): expected a mapping such as {} or {skip: true}, got a list",
    ]);
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
    expect(found.map((p) => `${p.line}:${p.col}: ${p.message.slice(0, 59)}`)).toEqual([
      "6:38: file '/home/core': unknown key 'mdoe', did you mean 'mode'?",
    ]);
    // a range that writes the same key twice is a duplicate key at the line of the range body
    const dup = analyzeCheckSpec('user:\n{{ range .Vars.u }}\n  x: {exists: true}\n{{ end }}', {
      template: { vars: { u: [1, 2] }, env: {} },
    }).problems;
    expect(dup.map((p) => `${p.line}:${p.col}`)).toEqual(['3:3']);
    expect(dup[0]?.message).toMatch(/Map keys must be unique/);
  });

  it('a template problem is a spec problem: InputError (exit 2) naming file:line:col', () => {
    let err: unknown;
    try {
      parseCheckSpec('user:\n  root: {exists: true}\n  {{ nosuch "%s" .Vars.x }}: {exists: true}\n', {
        file: 'tpl.yaml',
        template: { vars: {}, env: {} },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect((err as InputError).message).toBe(
      'invalid check spec tpl.yaml:3:6: template: function "nosuch" not defined',
    );
  });
});

describe('spec durations (parseDurationMs, Go grammar from @mantle/core/time)', () => {
  it('reads milliseconds, Go durations (compound too) and bare milliseconds; refuses the rest', async () => {
    const { parseDurationMs } = await import('./duration.js');
    expect(parseDurationMs(5000)).toBe(5000);
    expect(parseDurationMs('1500')).toBe(1500);
    expect(parseDurationMs(' 10s ')).toBe(10_000);
    expect(parseDurationMs('1m30s')).toBe(90_000);
    expect(parseDurationMs('1.5ms')).toBe(2);
    expect(parseDurationMs('-5s')).toBeUndefined();
    expect(parseDurationMs(-1)).toBeUndefined();
    expect(parseDurationMs('soon')).toBeUndefined();
    expect(parseDurationMs(true)).toBeUndefined();
  });
});
