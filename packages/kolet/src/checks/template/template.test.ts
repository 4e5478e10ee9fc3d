import { describe, expect, it } from 'vitest';
import { TemplateError } from './template-parse.js';
import { renderTemplate, type TemplateData } from './template-render.js';

const data: TemplateData = {
  vars: {
    name: 'web',
    port: 8080,
    enabled: true,
    off: false,
    empty: '',
    nothing: null,
    users: ['alice', 'bob'],
    none: [],
    pkgs: { zsh: ['5.9'], bash: ['5.2', '5.1'] },
    os: { debian: { kernel: ['6.1'] } },
  },
  env: { HOME: '/root', OS: 'Debian', EMPTY: '' },
};

const render = (src: string, d: TemplateData = data): string => renderTemplate(src, d).text;

/** The TemplateError a render throws, as `line:col: message` of the source. */
function failure(src: string, d: TemplateData = data): string {
  try {
    renderTemplate(src, d);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    const before = src.slice(0, err.offset).split('\n');
    return `${before.length}:${(before[before.length - 1] ?? '').length + 1}: ${err.message}`;
  }
  throw new Error(`rendered without an error: ${src}`);
}

describe('spec templates (Go text/template subset)', () => {
  it('leaves text without {{ as it is, mapping every offset to itself', () => {
    const r = renderTemplate('file:\n  /etc/hosts: {exists: true}\n', data);
    expect(r.text).toBe('file:\n  /etc/hosts: {exists: true}\n');
    expect(r.toSource(9)).toBe(9);
  });

  it('prints .Vars and .Env values, nested keys, numbers and booleans', () => {
    expect(render('n={{ .Vars.name }} p={{.Vars.port}} e={{ .Vars.enabled }} h={{ .Env.HOME }}')).toBe(
      'n=web p=8080 e=true h=/root',
    );
    expect(render('{{ index .Vars.os "debian" "kernel" 0 }}')).toBe('6.1');
    expect(render('{{ $.Vars.name }}')).toBe('web');
  });

  it('if / else if / else on Go truthiness (missing, empty, false, 0 and [] are false)', () => {
    const t = (cond: string): string => render(`{{ if ${cond} }}yes{{ else }}no{{ end }}`);
    expect(['.Vars.name', '.Vars.port', '.Vars.enabled', '.Vars.users', '.Env.OS'].map(t)).toEqual([
      'yes',
      'yes',
      'yes',
      'yes',
      'yes',
    ]);
    expect(
      [
        '.Vars.off',
        '.Vars.empty',
        '.Vars.nothing',
        '.Vars.none',
        '.Vars.missing',
        '.Env.NOPE',
        '.Vars.a.b',
      ].map(t),
    ).toEqual(['no', 'no', 'no', 'no', 'no', 'no', 'no']);
    const chain = '{{if .Vars.off}}a{{else if .Vars.empty}}b{{else if .Vars.name}}c{{else}}d{{end}}';
    expect(render(chain)).toBe('c');
    expect(render('{{if .Vars.off}}a{{end}}|')).toBe('|');
  });

  it('eq / ne / not / and / or / lt, and a missing value equals nothing', () => {
    expect(render('{{ if eq .Env.OS "Debian" }}deb{{ end }}')).toBe('deb');
    expect(render('{{ if eq .Env.OS "Fedora" "Debian" }}one-of{{ end }}')).toBe('one-of');
    expect(render('{{ if ne .Vars.port 22 }}not ssh{{ end }}')).toBe('not ssh');
    expect(render('{{ if eq .Env.UNSET "x" }}y{{ else }}n{{ end }}')).toBe('n');
    expect(render('{{ if not .Vars.off }}on{{ end }}')).toBe('on');
    expect(render('{{ if and .Vars.name .Vars.enabled }}both{{ end }}')).toBe('both');
    expect(render('{{ or .Vars.empty .Vars.name }}')).toBe('web');
    // and stops at the first false value: the index would fail on the missing list
    expect(render('{{ if and .Vars.missing (index .Vars.missing 0) }}x{{ else }}short{{ end }}')).toBe(
      'short',
    );
    expect(render('{{ if lt .Vars.port 9000 }}low{{ end }}')).toBe('low');
    expect(render('{{ if (eq .Vars.name "web") }}p{{ end }}')).toBe('p');
  });

  it('range over a list and a mapping (sorted keys), with variables, else for nothing', () => {
    expect(render('{{ range .Vars.users }}- {{ . }}\n{{ end }}')).toBe('- alice\n- bob\n');
    expect(render('{{ range $i, $u := .Vars.users }}{{ $i }}={{ $u }};{{ end }}')).toBe('0=alice;1=bob;');
    expect(
      render('{{ range $name, $v := .Vars.pkgs }}{{ $name }}:{{ range $v }} {{ . }}{{ end }};{{ end }}'),
    ).toBe('bash: 5.2 5.1;zsh: 5.9;');
    expect(render('{{ range .Vars.none }}x{{ else }}none{{ end }}')).toBe('none');
    expect(render('{{ range .Vars.missing }}x{{ else }}missing{{ end }}')).toBe('missing');
    expect(render('{{ range .Vars.users }}{{ $.Vars.name }}/{{ . }} {{ end }}')).toBe('web/alice web/bob ');
    expect(render('{{ range mkSlice "/etc/passwd" "/etc/group" }}{{ . }},{{ end }}')).toBe(
      '/etc/passwd,/etc/group,',
    );
  });

  it('with, variables, pipes and the goss functions', () => {
    expect(render('{{ with .Vars.name }}<{{ . }}>{{ else }}none{{ end }}')).toBe('<web>');
    expect(render('{{ with .Vars.empty }}<{{ . }}>{{ else }}none{{ end }}')).toBe('none');
    expect(render('{{ $p := .Vars.port }}{{ if $p }}{{ $p }}{{ end }}')).toBe('8080');
    expect(render('{{ $x := 1 }}{{ $x = 2 }}{{ $x }}')).toBe('2');
    expect(render('{{ .Env.OS | toLower }} {{ toUpper "a" }}')).toBe('debian A');
    expect(render('{{ if .Env.OS | regexMatch "^[Dd]eb" }}debianish{{ end }}')).toBe('debianish');
    expect(
      render('{{ getEnv "NOPE" "dflt" }}|{{ getEnv "EMPTY" "d2" }}|{{ getEnv "HOME" }}|{{ getEnv "NOPE" }}|'),
    ).toBe('dflt|d2|/root||');
    expect(render('{{ len .Vars.users }} {{ len "héllo" }} {{ len .Vars.pkgs }}')).toBe('2 6 2');
    expect(render(`{{ "a\\tb" }}|{{ \`raw\\n\` }}|{{ -3 }}|{{ 1.5 }}`)).toBe('a\tb|raw\\n|-3|1.5');
    expect(render('a{{/* a comment */}}b')).toBe('ab');
    // literal braces for commands that use Go templates themselves, as in goss
    expect(render(`docker inspect -f '{{"{{"}}.State.Running{{"}}"}}' web`)).toBe(
      "docker inspect -f '{{.State.Running}}' web",
    );
  });

  it('trims white space around {{- and -}} as Go does', () => {
    const src = 'user:\n{{- range .Vars.users }}\n  {{ . }}: {exists: true}\n{{- end }}\n';
    expect(render(src)).toBe('user:\n  alice: {exists: true}\n  bob: {exists: true}\n');
    expect(render('a  {{- /* c */ -}}  b')).toBe('ab');
    expect(render('a {{-3}}')).toBe('a -3'); // no space after the dash: a number, not a trim marker
  });

  it('maps rendered offsets back to the source: literal text exactly, printed values to their {{', () => {
    const src = 'a: 1\n{{ range .Vars.users }}{{ . }}: x\n{{ end }}z: {{ .Vars.name }}\n';
    const r = renderTemplate(src, data);
    expect(r.text).toBe('a: 1\nalice: x\nbob: x\nz: web\n');
    const bob = r.text.indexOf('bob');
    expect(r.toSource(bob)).toBe(src.indexOf('{{ . }}'));
    expect(r.toSource(r.text.indexOf(': x', bob))).toBe(src.indexOf(': x'));
    expect(r.toSource(r.text.indexOf('z:'))).toBe(src.indexOf('z:'));
    expect(r.toSource(r.text.indexOf('web'))).toBe(src.indexOf('{{ .Vars.name }}'));
  });

  it('refuses to print what has no value, naming the action and how to fix it', () => {
    expect(failure('a: 1\nb: {{ .Vars.nope }}\n')).toBe(
      '2:4: {{ .Vars.nope }}: .Vars.nope has no value: not in the vars (give them with --vars FILE or --vars-inline)',
    );
    expect(failure('x: {{ .Env.NOPE }}')).toBe(
      '1:4: {{ .Env.NOPE }}: .Env.NOPE has no value: the environment has no NOPE (getEnv "NOPE" "default" gives a default)',
    );
    expect(failure('{{ .Vars.users }}')).toMatch(/^1:1: .*can't print a list; \{\{range\}\} over it/);
    expect(failure('{{ .Vars.nothing }}')).toMatch(/the value is null/);
    expect(failure('{{ .Nope }}')).toMatch(/^1:4: \.Nope: the template data has only \.Vars and \.Env/);
    expect(failure('{{ range .Vars.users }}{{ .Vars.name }}{{ end }}')).toMatch(
      /can't read field "Vars" of \., the string "alice" \(inside range or with, \. is the current element: use \$\.Vars/,
    );
  });

  it('names unsupported syntax and its place instead of rendering something else', () => {
    expect(failure('a\n  {{ printf "%d" 1 }}')).toBe(
      '2:6: function "printf" is not supported (kolet has: and, or, not, eq, ne, lt, le, gt, ge, index, len, getEnv, mkSlice, toLower, toUpper, regexMatch)',
    );
    expect(failure('{{ template "x" }}')).toMatch(/^1:1: \{\{template\}\} is not supported/);
    expect(failure('{{ define "x" }}{{ end }}')).toMatch(/\{\{define\}\} is not supported/);
    expect(failure('{{ if .Vars.name }}x')).toBe('1:1: {{if}} without {{end}}');
    expect(failure('x\n{{ end }}')).toBe('2:1: unexpected {{end}}: no {{if}}, {{range}} or {{with}} is open');
    expect(failure('{{ .Vars.name')).toBe('1:1: unclosed action: no }} before the end');
    expect(failure('{{ .Vars.name | quote }}')).toMatch(/^1:17: function "quote" is not supported/);
    expect(failure("{{ 'a' }}")).toMatch(/character constants are not supported/);
    expect(failure('{{ $x }}')).toBe('1:4: undefined variable "$x"');
    expect(failure('{{ .Vars.name .Vars.port }}')).toMatch(/\.Vars\.name is not a function/);
    expect(failure('{{ eq .Vars.port "8080" }}')).toMatch(
      /eq: incompatible types for comparison: number 8080 and the string "8080"/,
    );
    expect(failure('{{ index .Vars.users 5 }}')).toMatch(/index out of range: 5/);
    expect(failure('{{ range .Vars.name }}{{ end }}')).toMatch(/range can't iterate over the string "web"/);
    expect(failure('{{ (index .Vars "os").debian }}')).toMatch(/\(\.\.\.\)\.field\) is not supported/);
    expect(failure('{{ if .Vars.name }}{{ else with .Vars.x }}{{ end }}')).toMatch(
      /\{\{else with\}\} is not supported/,
    );
    expect(failure('{{ 010 }}')).toMatch(/leading 0 as octal/);
    expect(failure('{{ regexMatch "(?i)x" "x" }}')).toMatch(/regexMatch: invalid regular expression/);
    expect(failure('{{ not }}')).toBe('1:4: not: expected 1 argument, got 0');
    expect(failure('a {{/* open')).toMatch(/unclosed comment/);
  });
});
