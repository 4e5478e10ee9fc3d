import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@mantle/core/errors';
import { loadCheckSpec, type LoadSpecOptions } from './load-spec.js';
import { GoFloat } from './go/go-format.js';
import { loadTemplateVars, parseTemplateVars } from './vars.js';

let dir: string;

async function files(tree: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(tree)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

/** The InputError a load throws (fails the test when it does not throw one). */
async function loadError(path: string, opts: LoadSpecOptions = {}): Promise<InputError> {
  try {
    await loadCheckSpec(path, { cwd: dir, ...opts });
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error(`${path} loaded without an error`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kolet-include-'));
  await files({
    'main.yaml': [
      'gossfile:',
      '  base.yaml: {}',
      '  "conf.d/*.yaml": {}',
      '  skipped-and-missing.yaml: {skip: true}',
      '  app: {file: apps/app.yaml}',
      'user:',
      '  root: {exists: true}',
    ].join('\n'),
    'base.yaml': 'file:\n  /etc/passwd: {exists: true}\n',
    'conf.d/10-a.yaml': 'kernel-param:\n  kernel.ostype: {value: Linux}\n',
    // includes base.yaml again (not a cycle): it is read once
    'conf.d/20-b.yaml': 'gossfile:\n  ../base.yaml: {}\ncommand:\n  "true": {exit-status: 0}\n',
    'conf.d/notes.txt': 'not a spec, not matched\n',
    'apps/app.yaml': 'gossfile:\n  lib/more.yaml: {}\nuser:\n  root: {exists: true, uid: 0}\n',
    'apps/lib/more.yaml': 'interface:\n  lo: {exists: true}\n',
    'missing.yaml': 'user:\n  root: {exists: true}\ngossfile:\n  nope.yaml: {}\n',
    'top.yaml': 'gossfile:\n  mid/mid.yaml: {}\n',
    'mid/mid.yaml': 'gossfile:\n  gone.yaml: {}\n',
    'noglob.yaml': 'gossfile:\n  "none.d/*.yaml": {}\n',
    'cyc-a.yaml': 'gossfile:\n  cyc-b.yaml: {}\n',
    'cyc-b.yaml': 'gossfile:\n  cyc-a.yaml: {}\n',
    'self.yaml': 'user:\n  root: {exists: true}\ngossfile:\n  self.yaml: {}\n',
    'bad-inc.yaml': 'gossfile:\n  broken.yaml: {}\n',
    'broken.yaml': 'file:\n  /etc/hosts: {exists: true}\nservice:\n  sshd: {runing: true}\n',
    'dir-inc.yaml': 'gossfile:\n  conf.d: {}\n',
    'tpl-main.yaml': 'gossfile:\n  "{{ .Vars.profile }}.yaml": {}\n',
    'web.yaml': 'user:\n{{- range .Vars.users }}\n  {{ . }}: {exists: true}\n{{- end }}\n',
    'tpl-bad.yaml': 'gossfile:\n  web-bad.yaml: {}\n',
    'web-bad.yaml': 'user:\n  {{ .Vars.nobody }}: {exists: true}\n',
    'vars.yaml': 'profile: web\nusers: [root, daemon]\n',
    'vars.json': '{"users": ["bin"], "n": 1}',
    'vars-list.yaml': '- a\n- b\n',
    'vars-bad.yaml': 'a: [1\n',
    'vars-base.yaml': 'site: {name: a, port: 80}\nkeep: yes-kept\nempty: base\n',
    'vars-over.yaml': 'site: {port: 8080}\nempty: ""\n',
    'empty-top.yaml': 'gossfile:\n  empty-a.yaml: {}\n',
    'empty-a.yaml': '# nothing here\n',
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadCheckSpec with gossfile includes', () => {
  it('merges included specs as goss does: keys sorted, relative to the including file, globs sorted, skip honoured, read once', async () => {
    const spec = await loadCheckSpec('main.yaml', { cwd: dir });
    // goss reads gossfile entries in the sorted order of their keys: app < base.yaml < conf.d/*.yaml
    expect(spec.files).toEqual([
      'main.yaml',
      'apps/app.yaml',
      'apps/lib/more.yaml',
      'base.yaml',
      'conf.d/10-a.yaml',
      'conf.d/20-b.yaml',
    ]);
    // main's user root is replaced by the later definition in apps/app.yaml, as goss does
    expect(spec.resources.map((r) => `${r.kind}:${r.id} ${r.file}:${r.line}`)).toEqual([
      'user:root apps/app.yaml:4',
      'interface:lo apps/lib/more.yaml:2',
      'file:/etc/passwd base.yaml:2',
      'kernel-param:kernel.ostype conf.d/10-a.yaml:2',
      'command:true conf.d/20-b.yaml:4',
    ]);
    expect(spec.warnings).toEqual([
      "User 'root' of apps/app.yaml:4 replaces the one of main.yaml:7 (the last definition counts, as in goss)",
    ]);
    expect(spec.includes).toBeUndefined();
    expect(spec.file).toBe('main.yaml');
  });

  it('all files together need a test: a spec that includes only empty files is found to have none', async () => {
    const e = await loadError('empty-top.yaml');
    expect(e.code).toBe('CHECK_SPEC_EMPTY');
    expect(e.message).toBe(
      'invalid check spec empty-top.yaml: found 0 tests in empty-top.yaml, empty-a.yaml',
    );
  });

  it('reads stdin as the top spec, its includes relative to the working directory', async () => {
    const spec = await loadCheckSpec('-', {
      cwd: dir,
      stdin: () => Promise.resolve('gossfile:\n  base.yaml: {}\n'),
    });
    expect(spec.files).toEqual(['-', 'base.yaml']);
    expect(spec.resources.map((r) => r.id)).toEqual(['/etc/passwd']);
  });

  it('a missing include names the entry file:line:col (exit 2)', async () => {
    const e = await loadError('missing.yaml');
    expect(e.exitCode).toBe(2);
    expect(e.code).toBe('CHECK_SPEC_INCLUDE');
    expect(e.message).toBe(
      "invalid check spec missing.yaml:4:3: gossfile 'nope.yaml': no such file nope.yaml",
    );
    expect(e.hint).toContain(`relative paths start at ${dir}`);
  });

  it('a missing include deeper down names the whole chain of files', async () => {
    const e = await loadError('top.yaml');
    expect(e.message).toBe(
      "invalid check spec mid/mid.yaml:2:3: gossfile 'gone.yaml': no such file mid/gone.yaml (included from top.yaml:2:3)",
    );
    expect((await loadError('noglob.yaml')).message).toBe(
      "invalid check spec noglob.yaml:2:3: gossfile 'none.d/*.yaml': no file matches none.d/*.yaml",
    );
  });

  it('an include cycle is an error naming the cycle (exit 2)', async () => {
    const e = await loadError('cyc-a.yaml');
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(
      "invalid check spec cyc-b.yaml:2:3: gossfile 'cyc-a.yaml': include cycle: cyc-a.yaml:2:3 → cyc-b.yaml:2:3 → cyc-a.yaml",
    );
    expect((await loadError('self.yaml')).message).toBe(
      "invalid check spec self.yaml:4:3: gossfile 'self.yaml': include cycle: self.yaml:4:3 → self.yaml",
    );
  });

  it('a problem inside an included file names that file, and the hint the chain', async () => {
    const e = await loadError('bad-inc.yaml');
    expect(e.code).toBe('CHECK_SPEC_INVALID');
    expect(e.message).toMatch(
      /^invalid check spec broken\.yaml:4:10: service 'sshd': unknown key 'runing', did you mean 'running'\?/,
    );
    expect(e.hint).toMatch(/^fix broken\.yaml \(included from bad-inc\.yaml:2:3\); the top-level keys are /);
    expect((await loadError('dir-inc.yaml')).message).toMatch(
      /^invalid check spec dir-inc\.yaml:2:3: gossfile 'conf\.d': cannot read conf\.d: EISDIR/,
    );
  });

  it('renders every file as a template with the same vars, include keys too', async () => {
    const vars = await loadTemplateVars({ file: 'vars.yaml', cwd: dir });
    const spec = await loadCheckSpec('tpl-main.yaml', { cwd: dir, template: { vars, env: {} } });
    expect(spec.files).toEqual(['tpl-main.yaml', 'web.yaml']);
    expect(spec.resources.map((r) => `${r.id}@${r.file}:${r.line}`)).toEqual([
      'root@web.yaml:3',
      'daemon@web.yaml:3',
    ]);
    const e = await loadError('tpl-bad.yaml', { template: { vars, env: {} } });
    expect(e.message).toBe(
      'invalid check spec web-bad.yaml:2:6: template: executing at <.Vars.nobody>: map has no entry for key "nobody" (give it with --vars FILE or --vars-inline, or test for it with index or hasKey)',
    );
  });
});

describe('template vars', () => {
  it('reads a YAML or JSON file; --vars-inline replaces its top-level keys', async () => {
    expect(await loadTemplateVars({ cwd: dir })).toEqual({});
    // JSON numbers are Go float64s, as goss decodes them
    expect(await loadTemplateVars({ file: 'vars.json', cwd: dir })).toEqual({
      users: ['bin'],
      n: new GoFloat(1),
    });
    expect(
      await loadTemplateVars({ file: 'vars.yaml', inline: '{"users": ["x"], "extra": true}', cwd: dir }),
    ).toEqual({ profile: 'web', users: ['x'], extra: true });
    expect(parseTemplateVars('a: 1\nb: {c: [d]}\n', 'v.yaml')).toEqual({ a: 1, b: { c: ['d'] } });
    expect(parseTemplateVars('', 'v.yaml')).toEqual({});
  });

  it('merges several --vars files as goss does: mappings deeply, a later non-empty value wins', async () => {
    expect(
      await loadTemplateVars({
        file: ['vars-base.yaml', 'vars-over.yaml'],
        inline: 'keep: inline',
        cwd: dir,
      }),
    ).toEqual({
      site: { name: 'a', port: 8080 },
      keep: 'inline',
      empty: 'base',
    });
  });

  it('rejects what is not a mapping, bad YAML and a missing file with their place (exit 2)', async () => {
    const err = async (p: Promise<unknown>): Promise<InputError> => {
      try {
        await p;
      } catch (e) {
        if (e instanceof InputError) return e;
        throw e;
      }
      throw new Error('no error');
    };
    const list = await err(loadTemplateVars({ file: 'vars-list.yaml', cwd: dir }));
    expect(list.message).toBe(
      'invalid vars vars-list.yaml:1:1: expected a mapping of variable names to values, got a list',
    );
    expect(list.exitCode).toBe(2);
    expect((await err(loadTemplateVars({ file: 'vars-bad.yaml', cwd: dir }))).message).toMatch(
      /^invalid vars vars-bad\.yaml:\d+:\d+: YAML syntax: /,
    );
    const inline = await err(loadTemplateVars({ inline: '{"a": ', cwd: dir }));
    expect(inline.message).toMatch(/^invalid vars --vars-inline:1:\d+: YAML syntax: /);
    expect(inline.hint).toContain(`--vars-inline '{"name": "value"}'`);
    const missing = await err(loadTemplateVars({ file: 'no-vars.yaml', cwd: dir }));
    expect(missing.message).toMatch(/^--vars no-vars\.yaml: ENOENT/);
    expect(missing.exitCode).toBe(2);
  });
});

describe('templateVarsText', () => {
  it('writes vars as YAML that reads back to the same Go values (floats stay floats)', async () => {
    const { templateVarsText } = await import('./vars.js');
    const vars = parseTemplateVars(
      'port: 8080\nratio: 2.0\nhalf: 0.5\nlist: [a, 1]\nmap: {k: v}\n',
      'v.yaml',
    );
    const text = templateVarsText(vars);
    expect(text).toBe('port: 8080\nratio: 2.0\nhalf: 0.5\nlist:\n  - a\n  - 1\nmap:\n  k: v\n');
    expect(parseTemplateVars(text, 'again')).toEqual(vars);
  });
});
