import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@mantle/core/errors';
import { discoverExtTests, loadExtTests } from './discover.js';
import { parseInlineMetadata, splitWords } from './metadata.js';
import { interpret, runCommand } from './run-exttest.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kola-exttest-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Make a test tree: path → content (a leading `x:` makes the file executable). */
async function tree(files: Record<string, string>, name = `proj${++n}`): Promise<string> {
  const dir = join(root, name);
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    await mkdir(join(p, '..'), { recursive: true });
    const exec = content.startsWith('x:');
    await writeFile(p, exec ? content.slice(2) : content);
    await chmod(p, exec ? 0o755 : 0o644);
  }
  return dir;
}

async function errorOf(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('external test discovery', () => {
  it('names tests ext.<dir>.<file>, recurses, honours tests/kola, test.sh and data/', async () => {
    const dir = await tree(
      {
        'tests/kola/pass.sh': 'x:#!/bin/sh\nexit 0\n',
        'tests/kola/README.md': 'docs are not tests',
        'tests/kola/net/test.sh': 'x:#!/bin/sh\n',
        'tests/kola/net/data/payload': 'not a test (data)',
        'tests/kola/two/a': 'x:#!/bin/sh\n',
        'tests/kola/two/b': 'x:#!/bin/sh\n',
      },
      'myproj',
    );
    const found = await discoverExtTests([dir]);
    expect(found.map((t) => t.name)).toEqual([
      'ext.myproj.pass.sh',
      'ext.myproj.net',
      'ext.myproj.two.a',
      'ext.myproj.two.b',
    ]);
    expect(found[1]?.dataDir).toBe(join(dir, 'tests/kola/net/data'));
    const tests = await loadExtTests([dir]);
    expect(tests[0]).toMatchObject({
      name: 'ext.myproj.pass.sh',
      source: join(dir, 'tests/kola/pass.sh'),
      clusterSize: 1,
      hasBody: true,
    });
  });

  it('merges directory metadata, its per-file section and inline metadata (inline wins)', async () => {
    const dir = await tree({
      'kola.yaml': [
        'platforms: qemu',
        'architectures: "!s390x ppc64le"',
        'tags: [smoke, net]',
        'timeout: 3m',
        'checks: spec.yaml',
        'tests:',
        '  b.sh: { clusterSize: 2, description: the b test }',
      ].join('\n'),
      'spec.yaml': 'file:\n  /etc/hostname: { exists: true }\n',
      'config.bu': 'variant: flatcar\nversion: 1.0.0\n',
      'a.sh': 'x:#!/bin/sh\n# kola: {"tags": "inline other", "timeoutMin": 2}\n',
      'b.sh': 'x:#!/bin/bash\n## kola:\n##   distros: systemd\n##   flags: [no-console-check]\necho hi\n',
    });
    const [a, b] = await loadExtTests([dir]);
    expect(a).toMatchObject({
      platforms: ['qemu'],
      excludeArchitectures: ['s390x', 'ppc64le'],
      tags: ['inline', 'other'],
      timeoutMs: 180_000, // timeout (3m) is set at directory level and wins over timeoutMin
      userData: 'variant: flatcar\nversion: 1.0.0\n',
      checks: 'spec.yaml',
    });
    expect(b).toMatchObject({
      clusterSize: 2,
      description: 'the b test',
      distros: ['systemd'],
      flags: ['no-console-check'],
      tags: ['smoke', 'net'],
    });
  });

  it('a file that is not executable is an InputError naming it (exit 2)', async () => {
    const dir = await tree({ 'ok.sh': 'x:#!/bin/sh\n', 'forgot-chmod.sh': '#!/bin/sh\n' });
    const err = await errorOf(discoverExtTests([dir]));
    expect(err.exitCode).toBe(2);
    expect(err.code).toBe('EXTTEST_NOT_EXECUTABLE');
    expect(err.message).toBe(`external test ${join(dir, 'forgot-chmod.sh')} is not executable`);
    expect(err.hint).toContain('chmod +x');
  });

  it.each([
    ['kola.json', '{"clusterSize": "two"}', "field 'clusterSize'"],
    ['kola.json', '{"tags": 7}', "field 'tags'"],
    ['kola.json', '{"timeout": 600}', "field 'timeout'"],
    ['kola.yaml', 'clustersize: 2\n', "field 'clustersize': unknown key"],
    ['kola.yaml', 'tests:\n  t.sh: { platforms: [1] }\n', "field 'tests.t.sh.platforms"],
    ['kola.json', '{"clusterSize": 2,', 'is not valid JSON'],
  ])('%s %s → an InputError naming the file and %s', async (file, text, field) => {
    const dir = await tree({ [file]: text, 't.sh': 'x:#!/bin/sh\n' });
    const err = await errorOf(discoverExtTests([dir]));
    expect(err.exitCode).toBe(2);
    expect(err.code).toBe('EXTTEST_BAD_METADATA');
    expect(err.message).toContain(join(dir, file));
    expect(err.message).toContain(field);
  });

  it('rejects inline metadata with wrong types, naming the script', async () => {
    const dir = await tree({ 't.sh': 'x:#!/bin/sh\n# kola: {"clusterSize": true}\n' });
    const err = await errorOf(discoverExtTests([dir]));
    expect(err.message).toContain(`${join(dir, 't.sh')} (inline)`);
    expect(err.message).toContain("field 'clusterSize'");
  });

  it('rejects a missing directory, an empty one and duplicate names', async () => {
    expect((await errorOf(discoverExtTests([join(root, 'nope')]))).code).toBe('EXTTEST_DIR_MISSING');
    expect((await errorOf(discoverExtTests([await tree({ 'notes.txt': 'x' })]))).code).toBe('EXTTEST_EMPTY');
    const dup = await tree({
      'a.sh': 'x:#!/bin/sh\n# kola: {"name": "ext.same"}\n',
      'b.sh': 'x:#!/bin/sh\n# kola: {"name": "ext.same"}\n',
    });
    expect((await errorOf(discoverExtTests([dup]))).code).toBe('DUPLICATE_TEST');
  });
});

describe('external test helpers', () => {
  it('splits cosa word lists (a leading ! excludes every value)', () => {
    expect(splitWords('qemu aws')).toEqual({ allow: ['qemu', 'aws'], deny: [] });
    expect(splitWords('!s390x ppc64le')).toEqual({ allow: [], deny: ['s390x', 'ppc64le'] });
    expect(splitWords(['qemu', '!aws'])).toEqual({ allow: ['qemu'], deny: ['aws'] });
    expect(splitWords(undefined)).toEqual({ allow: [], deny: [] });
  });

  it('does not look for inline metadata in binaries', () => {
    expect(parseInlineMetadata(Buffer.from('\0ELF# kola: {"x": 1}'), 'bin')).toBeUndefined();
  });

  it('reads the reboot request line off stdout', () => {
    expect(
      interpret({
        exitCode: -1,
        signal: 'KILL',
        stdout: 'before\nKOLA_EXT_REBOOT_REQUEST mark1\n',
        stderr: '',
      }),
    ).toMatchObject({
      rebootMark: 'mark1',
      stdout: 'before\n',
    });
    expect(
      interpret({ exitCode: 0, signal: undefined, stdout: 'done\n', stderr: '' }).rebootMark,
    ).toBeUndefined();
  });

  it('runs the executable with a clean environment as root, the mark passed on', () => {
    const cmd = runCommand('/var/lib/kola-ext/ext.p.t', 't.sh', 'ext.p.t', 'm1', []);
    expect(cmd).toContain('exec env -i PATH=/var/lib/kola-ext/ext.p.t/.kola:');
    expect(cmd).toContain('AUTOPKGTEST_REBOOT_MARK=m1');
    expect(cmd).toContain('KOLA_TEST=ext.p.t');
    expect(cmd.endsWith('./t.sh')).toBe(true);
  });
});
