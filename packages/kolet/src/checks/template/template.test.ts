import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTemplateVars } from '../vars.js';
import { lex } from './lex.js';
import { parseTemplate } from './parse.js';
import { TEMPLATE_FUNCS, renderTemplate, type TemplateData } from './render.js';
import { TemplateError } from './template-error.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kolet-tpl-'));
  await writeFile(join(dir, 'token'), '  s3cr3t\n');
  await writeFile(join(dir, 'rc.conf'), "$rc = 'mysql://rcuser:pw42@localhost/roundcube_main';\n");
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const data = (): TemplateData => ({
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
  cwd: dir,
});

const render = (src: string, d: TemplateData = data()): string => renderTemplate(src, d).text;

/** The TemplateError a render throws, as `line:col: message` of the source. */
function failure(src: string, d: TemplateData = data()): string {
  try {
    renderTemplate(src, d);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    const before = src.slice(0, err.offset).split('\n');
    return `${before.length}:${(before[before.length - 1] ?? '').length + 1}: ${err.message}`;
  }
  throw new Error(`rendered without an error: ${src}`);
}

describe('lexer and parser (text/template/parse)', () => {
  it('lexes actions into typed items with offsets; trim markers eat the white space', () => {
    const items = lex('a {{- .Vars.x | printf "%s" -}} b').map((i) => `${i.type}@${i.pos}`);
    expect(items).toEqual([
      'text@0',
      'leftDelim@2',
      'field@6',
      'field@11',
      'space@13',
      'pipe@14',
      'space@15',
      'identifier@16',
      'space@22',
      'string@23',
      'rightDelim@27',
      'text@32',
      'eof@33',
    ]);
    expect(render('a  {{- "x" -}}  \n b')).toBe('axb');
    expect(render('a {{/* a comment */}} b {{- /* trimmed */ -}} c')).toBe('a  bc');
  });

  it('parses control structures into nodes and collects define/block templates', () => {
    const tree = parseTemplate(
      '{{define "t"}}x{{end}}{{if .A}}{{range $i, $e := .B}}{{end}}{{else if .C}}{{end}}',
      (n) => n === 'len',
    );
    expect(tree.defines.has('t')).toBe(true);
    const ifNode = tree.root.nodes[0];
    expect(ifNode?.type).toBe('if');
  });

  it('reports syntax errors with their place, as Go does', () => {
    expect(failure('x\n{{ if .Vars.name }}')).toBe('2:20: unexpected EOF');
    expect(failure('{{ end }}')).toBe('1:1: unexpected {{end}}');
    expect(failure('{{ nosuchfunc 1 }}')).toBe('1:4: function "nosuchfunc" not defined');
    expect(failure('{{ $x }}')).toBe('1:4: undefined variable "$x"');
    expect(failure('{{ "abc }}')).toBe('1:4: unterminated quoted string');
    expect(failure('{{ break }}')).toBe('1:4: {{break}} outside {{range}}');
    expect(failure('{{ .Vars.name')).toBe('1:1: unclosed action');
  });
});

describe('rendering with goss data: .Vars, .Env, missingkey=error', () => {
  it('prints values as Go does: numbers, booleans, lists, maps, and nothing as <no value>', () => {
    expect(render('{{ .Vars.name }} {{ .Vars.port }} {{ .Vars.enabled }} {{ .Env.HOME }}')).toBe(
      'web 8080 true /root',
    );
    expect(render('{{ .Vars.users }} {{ .Vars.pkgs }}')).toBe('[alice bob] map[bash:[5.2 5.1] zsh:[5.9]]');
    // index gives the map's zero value: nothing for .Vars (printed <no value>), "" for .Env
    expect(render('{{ .Vars.nothing }}|{{ index .Vars "gone" }}|{{ index .Env "GONE" }}')).toBe(
      '<no value>|<no value>|',
    );
    expect(render('{{ index .Vars.os "debian" "kernel" 0 }} {{ $.Vars.name }}')).toBe('6.1 web');
  });

  it('a key that is not there is an error wherever it is read, as goss renders with missingkey=error', () => {
    expect(failure('file:\n  {{ .Vars.nope }}: {}')).toBe(
      '2:6: executing at <.Vars.nope>: map has no entry for key "nope" (give it with --vars FILE or --vars-inline, or test for it with index or hasKey)',
    );
    expect(failure('{{ if eq .Env.OS_NAME "x" }}{{ end }}')).toMatch(
      /^1:10: executing at <.Env.OS_NAME>: map has no entry for key "OS_NAME" \(the environment has no OS_NAME; getEnv "OS_NAME" "default" gives a default\)/,
    );
    expect(failure('{{ .Vars.nothing.deeper }}')).toBe(
      '1:4: executing at <.Vars.nothing.deeper>: nil pointer evaluating interface {}.deeper',
    );
    expect(failure('{{ .Vars.name.x }}')).toBe(
      "1:4: executing at <.Vars.name.x>: can't evaluate field x in type string",
    );
    expect(failure('{{ .Nope }}')).toBe(
      "1:4: executing at <.Nope>: can't evaluate field Nope in type *goss.TmplVars",
    );
    expect(render('{{ getEnv "OS_NAME" "debian" }}|{{ getEnv "OS" }}|{{ getEnv "EMPTY" "dflt" }}')).toBe(
      'debian|Debian|dflt',
    );
  });

  it('if / else if / else on Go truth; eq compares like kinds', () => {
    const t = (cond: string): string => render(`{{ if ${cond} }}yes{{ else }}no{{ end }}`);
    expect(
      [
        '.Vars.name',
        '.Vars.port',
        '.Vars.users',
        '.Env.OS',
        '.Vars.off',
        '.Vars.empty',
        '.Vars.nothing',
        '.Vars.none',
      ].map(t),
    ).toEqual(['yes', 'yes', 'yes', 'yes', 'no', 'no', 'no', 'no']);
    expect(render('{{if .Vars.off}}a{{else if .Vars.empty}}b{{else if .Vars.name}}c{{else}}d{{end}}')).toBe(
      'c',
    );
    expect(render('{{ if eq .Env.OS "Fedora" "Debian" }}one-of{{ end }}')).toBe('one-of');
    expect(render('{{ if and (ne .Vars.port 22) (not .Vars.off) (lt 1 2) }}ok{{ end }}')).toBe('ok');
    expect(failure('{{ if eq .Vars.port "8080" }}{{ end }}')).toMatch(
      /error calling eq: incompatible types for comparison/,
    );
    expect(render('{{ if eq .Vars.nothing nil }}nil{{ end }}')).toBe('nil');
  });

  it('range over lists, maps (sorted), numbers; variables; else, break and continue', () => {
    expect(render('{{ range .Vars.users }}[{{ . }}]{{ end }}')).toBe('[alice][bob]');
    expect(render('{{ range $k, $v := .Vars.pkgs }}{{ $k }}={{ len $v }};{{ end }}')).toBe('bash=2;zsh=1;');
    expect(render('{{ range $i, $u := .Vars.users }}{{ $i }}:{{ $u }} {{ end }}')).toBe('0:alice 1:bob ');
    expect(render('{{ range .Vars.none }}x{{ else }}none{{ end }}')).toBe('none');
    expect(render('{{ range 3 }}{{ . }}{{ end }}')).toBe('012');
    expect(
      render('{{ range $i, $u := .Vars.users }}{{ if eq $i 1 }}{{ break }}{{ end }}{{ $u }}{{ end }}'),
    ).toBe('alice');
    expect(
      render('{{ range .Vars.users }}{{ if eq . "alice" }}{{ continue }}{{ end }}{{ . }}{{ end }}'),
    ).toBe('bob');
    expect(render('{{ $n := 0 }}{{ range .Vars.users }}{{ $n = add $n 1 }}{{ end }}{{ $n }}')).toBe('2');
  });

  it('with / else with, define / template / block', () => {
    expect(
      render(
        '{{ with .Vars.name }}<{{ . }}>{{ end }}{{ with .Vars.off }}x{{ else with .Vars.port }}{{ . }}{{ end }}',
      ),
    ).toBe('<web>8080');
    expect(
      render(
        '{{ define "user" }}  {{ . }}: {exists: true}\n{{ end }}{{ range .Vars.users }}{{ template "user" . }}{{ end }}',
      ),
    ).toBe('  alice: {exists: true}\n  bob: {exists: true}\n');
    expect(render('{{ block "b" .Vars.name }}[{{ . }}]{{ end }}')).toBe('[web]');
  });

  it('pipelines, parentheses and fields of a parenthesized value', () => {
    expect(render('{{ .Vars.name | upper | printf "%s!" }}')).toBe('WEB!');
    expect(render('{{ (index .Vars.pkgs "bash") | len }}')).toBe('2');
    expect(render('{{ (dict "a" (dict "b" "deep")).a.b }}')).toBe('deep');
    expect(failure('{{ .Vars.name "x" }}')).toMatch(/name is not a method but has arguments/);
    expect(failure('{{ "x" | "y" }}')).toMatch(/can't give argument to non-function "y"/);
  });

  it('checks argument types as Go does: a string function given an int fails', () => {
    expect(failure('{{ upper .Vars.port }}')).toBe(
      '1:10: executing at <.Vars.port>: wrong type for value; expected string; got int',
    );
    expect(failure('{{ repeat "x" 3 }}')).toBe('1:11: expected integer; found "x"');
    expect(failure('{{ len 3 }}')).toBe('1:4: executing at <len>: error calling len: len of type int');
  });

  it("goss's functions: mkSlice, getEnv, readFile, regexMatch, toUpper, toLower, findStringSubmatch", () => {
    expect(render('{{ range mkSlice "/etc/passwd" "/etc/group" }}{{ . }} {{ end }}')).toBe(
      '/etc/passwd /etc/group ',
    );
    expect(render('{{ readFile "token" }}')).toBe('s3cr3t');
    expect(failure('{{ readFile "missing" }}')).toMatch(
      /error calling readFile: open missing: no such file or directory/,
    );
    expect(render('{{ if .Env.OS | regexMatch "^[Dd]eb(ian)?$" }}deb{{ end }}')).toBe('deb');
    expect(render('{{ "MiXed" | toLower }} {{ toUpper "x" }}')).toBe('mixed X');
    const re =
      "'mysql://(?P<login>[a-z0-9]+):(?P<password>[a-z0-9]+)@localhost/(?P<database>roundcube_[a-z0-9]+)'";
    expect(
      render(
        `{{ $c := readFile "rc.conf" | findStringSubmatch "${re.replace(/\\/g, '\\\\')}" }}{{ get $c "login" }}/{{ get $c "database" }}`,
      ),
    ).toBe('rcuser/roundcube_main');
    expect(render('{{ $m := findStringSubmatch "v([0-9]+)" "v12" }}{{ get $m "1" }}')).toBe('12');
  });

  it("Sprig's functions", () => {
    expect(
      render('{{ .Vars.missing | default "x" }}'.replace('.Vars.missing', 'index .Vars "missing"')),
    ).toBe('x');
    expect(render('{{ default "d" .Vars.empty }} {{ default "d" .Vars.name }} {{ empty .Vars.none }}')).toBe(
      'd web true',
    );
    expect(
      render('{{ "a b" | quote }} {{ squote "c" }} {{ trim "  t  " }} {{ replace "a" "b" "banana" }}'),
    ).toBe('"a b" \'c\' t bbnbnb');
    expect(
      render('{{ splitList "," "a,b,c" | join "-" }} {{ list 1 2 | toJson }} {{ dict "k" "v" | toJson }}'),
    ).toBe('a-b-c [1,2] {"k":"v"}');
    expect(
      render(
        '{{ hasKey .Vars "name" }} {{ hasPrefix "we" .Vars.name }} {{ contains "e" .Vars.name }} {{ b64enc "hi" }}',
      ),
    ).toBe('true true true aGk=');
    expect(
      render('{{ add 1 2 3 }} {{ sub 5 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ until 3 }} {{ seq 3 }}'),
    ).toBe('6 3 6 3 [0 1 2] 1 2 3');
    expect(render('{{ regexFind "[0-9]+" "abc123" }} {{ regexReplaceAll "(a)(b)" "ab-ab" "${2}$1" }}')).toBe(
      '123 ba-ba',
    );
    expect(render('{{ semverCompare ">=1.2.0" "1.3.0" }} {{ semverCompare "^2" "1.3.0" }}')).toBe(
      'true false',
    );
    expect(render('{{ "hello world" | title }} {{ indent 2 "a\\nb" }}{{ nindent 1 "c" }}')).toBe(
      'Hello World   a\n  b\n c',
    );
    expect(render('{{ ternary "y" "n" true }} {{ coalesce "" "x" }} {{ keys .Vars.pkgs | sortAlpha }}')).toBe(
      'y x [bash zsh]',
    );
    expect(render('{{ printf "%v" (float64 "1.5") }} {{ int "42" }} {{ toString 7 }} {{ atoi "12" }}')).toBe(
      '1.5 42 7 12',
    );
  });

  it('numbers from JSON vars are Go float64s and print as Go prints them', () => {
    const vars = parseTemplateVars('{"port": 8080, "big": 1000000, "ratio": 0.5}', 'vars.json');
    const d = { ...data(), vars };
    expect(render('{{ .Vars.port }} {{ .Vars.big }} {{ .Vars.ratio }}', d)).toBe('8080 1e+06 0.5');
    expect(failure('{{ if eq .Vars.port 8080 }}{{ end }}', d)).toMatch(/incompatible types for comparison/);
    const yaml = parseTemplateVars('port: 8080\nratio: 2.0\n', 'vars.yaml');
    expect(render('{{ .Vars.port }} {{ .Vars.ratio }}', { ...data(), vars: yaml })).toBe('8080 2');
  });

  it('maps every rendered offset back to the template (a printed value to its {{)', () => {
    const src = 'a: {{ .Vars.name }}\nb: x\n';
    const r = renderTemplate(src, data());
    expect(r.text).toBe('a: web\nb: x\n');
    expect(r.toSource(r.text.indexOf('web'))).toBe(src.indexOf('{{'));
    expect(r.toSource(r.text.indexOf('b:'))).toBe(src.indexOf('b:'));
    const plain = renderTemplate('no actions', data());
    expect(plain.toSource(3)).toBe(3);
  });

  it('has Go, Sprig and goss functions (goss wins over Sprig for shared names)', () => {
    for (const f of [
      'printf',
      'index',
      'default',
      'toJson',
      'getEnv',
      'readFile',
      'findStringSubmatch',
      'regexMatch',
    ])
      expect(Object.hasOwn(TEMPLATE_FUNCS, f), f).toBe(true);
  });
});
