// The built `kola` binary, run as users run it (build first: pnpm --filter @mantle/core --filter @mantle/kola build).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithClosedPipe } from '@mantle/test-utils/closed-pipe';
import { readOnlyDir } from '@mantle/test-utils/read-only';
import { run } from '@mantle/core/exec';
import { kola as runKola } from '@mantle/test-utils/systemd-image';

const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let cwd: string;

async function kola(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runKola(args, { cwd, env, timeoutMs: 120_000 });
}

beforeAll(async () => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run pnpm --filter @mantle/core --filter @mantle/kola build`);
  cwd = await mkdtemp(join(tmpdir(), 'kola-cli-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('kola (built bin)', () => {
  it('--help lists the commands', async () => {
    const r = await kola(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['run [glob..]', 'list', 'spawn', 'check-console', 'version', 'bootchart'])
      expect(r.stdout).toContain(`kola ${c}`);
    const run = await kola(['run', '--help']);
    for (const f of [
      '--platform',
      '--parallel',
      '--rerun-failed',
      '--shard',
      '--tests-dir',
      '--qemu-image',
      '--denylist-test',
    ])
      expect(run.stdout).toContain(f);
  });

  it('version prints the package version', async () => {
    expect((await kola(['version'])).stdout).toMatch(/^kola \d+\.\d+\.\d+/);
  });

  it('list --json lists the built-in tests with their metadata', async () => {
    const r = await kola(['list', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as {
      Name: string;
      Tags: string[];
      Timeout: number;
      ClusterSize: number;
      Source: string;
    }[];
    const names = list.map((t) => t.Name);
    expect(names).toEqual([...names].sort());
    for (const n of [
      'basic.ssh',
      'basic.os-release',
      'basic.hostname',
      'ignition.files',
      'cluster.lan',
      'reboot.bootid',
      'console.check-flags',
    ])
      expect(names).toContain(n);
    const lan = list.find((t) => t.Name === 'cluster.lan');
    expect(lan).toMatchObject({ ClusterSize: 2, Timeout: 600_000_000_000, Source: 'built-in' });
    expect(lan?.Tags).toContain('tiny');
    const table = await kola(['list', '--filter', 'basic.*']);
    expect(table.stdout.split('\n')[0]).toMatch(/^Test Name\s+Platforms\s+Architectures\s+Distributions$/);
    expect(table.stdout.trim().split('\n')).toHaveLength(4);
  });

  it('run exits 2 when nothing matches, naming the globs and tags', async () => {
    const r = await kola(['run', 'nothing.*', 'none.either', '--tag', 'smoke']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: no test matched 'nothing.*', 'none.either' with tag smoke");
  });

  it('run rejects bad flags with exit 2 naming the flag', async () => {
    const p0 = await kola(['run', '--parallel', '0']);
    expect(p0.code).toBe(2);
    expect(p0.stderr).toContain('--parallel 0');
    const plat = await kola(['run', '-p', 'vmware']);
    expect(plat.code).toBe(2);
    expect(plat.stderr).toContain(
      '--platform vmware: unknown platform; known platforms: aws, azure, gcloud, qemu',
    );
    const shard = await kola(['run', '--shard', '3/2']);
    expect(shard.code).toBe(2);
    expect(shard.stderr).toContain('--shard 3/2');
    const mem = await kola(['run', '--qemu-memory', '12']);
    expect(mem.code).toBe(2);
    expect(mem.stderr).toContain('--qemu-memory');
    const ext = await kola(['run', '-E', 'some-dir']);
    expect(ext.code).toBe(2);
    expect(ext.stderr).toContain('--exttest some-dir: no such directory');
    const spawnCount = await kola(['spawn', '-c', 'uptime']);
    expect(spawnCount.code).toBe(2);
    expect(spawnCount.stderr).toContain('-c/--nodecount');
    expect(spawnCount.stderr).not.toContain('"code"');
  });

  it('names the flag or argument that is wrong, and the help of the command typed', async () => {
    const board = await kola(['run', '--board', 'sparc-usr']);
    expect(board.code).toBe(2);
    expect(board.stderr).toContain(
      'error: --board sparc-usr: not a board; expected one of amd64-usr, arm64-usr',
    );
    const check = await kola(['check']);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('error: kola check: missing <spec..> (usage: kola check <spec..>)');
    expect(check.stderr).toContain("hint: run 'kola check --help' for usage");
    const unknown = await kola(['list', '--bogus']);
    expect(unknown.stderr).toContain("hint: run 'kola list --help' for usage");
  });

  it('a repeatable flag takes one value: the glob after --tag stays a glob', async () => {
    const r = await kola(['run', '--tag', 'smoke', 'nothing.*']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no test matched 'nothing.*' with tag smoke");
  });

  it('run refuses to wipe an output dir kola did not make (exit 2) and leaves it alone', async () => {
    const precious = join(cwd, 'precious');
    await mkdir(precious);
    await writeFile(join(precious, 'notes.txt'), 'mine');
    const r = await kola(['run', 'basic.ssh', '--output-dir', precious]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('was not made by kola');
    expect(await readdir(precious)).toEqual(['notes.txt']);
  });

  it('run exits 3 when qemu is missing', async () => {
    const r = await kola(['run', 'basic.ssh', '--output-dir', '_noqemu_temp'], {
      PATH: join(cwd, 'no-such-bin'),
      HOME: cwd,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/qemu/i);
  });

  it('run, spawn, check and bootchart check inputs and prerequisites before writing anything', async () => {
    const dir = join(cwd, 'prechecks');
    await mkdir(join(dir, '_kola_temp', 'qemu-old'), { recursive: true });
    await symlink('qemu-old', join(dir, '_kola_temp', 'qemu-latest'));
    await writeFile(join(dir, 'afile'), 'x');
    const ro = join(dir, 'ro');
    await mkdir(ro);
    const lock = await readOnlyDir(ro);
    const noQemu = { ...process.env, PATH: join(cwd, 'no-such-bin') };
    const cases: { args: string[]; code: number; msg: RegExp; env?: NodeJS.ProcessEnv; wrap?: boolean }[] = [
      {
        args: ['run', '--qemu-image', 'nope.qcow2'],
        code: 2,
        msg: /image .*nope\.qcow2: no such file or directory/,
      },
      { args: ['run', '--image', 'nope.img'], code: 2, msg: /--image nope\.img: no such file or directory/ },
      {
        args: ['run', '--qemu-kernel', 'nope.vmlinuz'],
        code: 2,
        msg: /--qemu-kernel .*nope\.vmlinuz: no such file/,
      },
      { args: ['run', '--key', 'nope.pub'], code: 2, msg: /--key nope\.pub: no such file or directory/ },
      { args: ['run', '--qemu-firmware', 'nope.fd'], code: 2, msg: /--qemu-firmware nope\.fd: no such file/ },
      { args: ['run'], code: 3, msg: /qemu-system-x86_64/, env: noQemu },
      {
        args: ['run', '--output-dir', 'afile'],
        code: 2,
        msg: /--output-dir .*afile exists and is not a directory/,
      },
      {
        args: ['run', '--output-dir', 'no/such/dir'],
        code: 2,
        msg: /--output-dir no\/such\/dir: directory .* does not exist/,
      },
      {
        args: ['run', '--output-dir', 'ro/out'],
        code: 2,
        msg: /--output-dir ro\/out: cannot write in .*\/ro/,
        wrap: true,
      },
      {
        args: ['run', '--tapfile', 'no/such/x.tap'],
        code: 2,
        msg: /--tapfile no\/such\/x\.tap: directory .* does not exist/,
      },
      {
        args: ['spawn', '--qemu-image', 'nope.qcow2'],
        code: 2,
        msg: /nope\.qcow2: no such file or directory/,
      },
      { args: ['spawn', '--detach', '--key', 'nope.pub'], code: 2, msg: /--key nope\.pub: no such file/ },
      { args: ['spawn', '--detach'], code: 3, msg: /qemu-system-x86_64/, env: noQemu },
      {
        args: ['bootchart', '--qemu-image', 'nope.qcow2'],
        code: 2,
        msg: /nope\.qcow2: no such file or directory/,
      },
      {
        args: ['check', 'missing.yaml'],
        code: 2,
        msg: /^error: SPEC missing\.yaml: no such file or directory$/m,
      },
    ];
    try {
      for (const c of cases) {
        const argv = [process.execPath, bin, ...c.args, ...(c.args[0] === 'run' ? ['basic.ssh'] : [])];
        const [cmd, ...rest] = c.wrap ? lock.wrap(argv) : argv;
        const r = await run(cmd!, rest, {
          cwd: dir,
          env: c.env ?? process.env,
          timeoutMs: 120_000,
          reject: false,
        });
        expect(r.exitCode, `${c.args.join(' ')}\n${r.stderr}`).toBe(c.code);
        expect(r.stderr).toMatch(c.msg);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    } finally {
      await lock.restore();
    }
    // nothing was made, and the -latest link still points where it did
    expect((await readdir(dir)).sort()).toEqual(['_kola_temp', 'afile', 'ro']);
    expect((await readdir(join(dir, '_kola_temp'))).sort()).toEqual(['qemu-latest', 'qemu-old']);
    expect(await readlink(join(dir, '_kola_temp', 'qemu-latest'))).toBe('qemu-old');
    expect(await readdir(ro)).toEqual([]);
  });

  it('check-console: 0 when clean, 1 with FILE:LINE lines when not, 2 for a missing file', async () => {
    await writeFile(join(cwd, 'clean.txt'), 'booting\nmantle-tiny: ready\n');
    await writeFile(
      join(cwd, 'bad.txt'),
      'booting\n[    3.1] Kernel panic - not syncing: Attempted to kill init!\nok\n[  OK  ] x\n[FAILED] Failed to start foo.service - Foo.\n',
    );
    expect(await kola(['check-console', 'clean.txt'])).toMatchObject({ code: 0, stdout: '' });
    const bad = await kola(['check-console', 'clean.txt', 'bad.txt']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe(
      'bad.txt:2: kernel panic: [    3.1] Kernel panic - not syncing: Attempted to kill init!\n' +
        'bad.txt:5: a unit failed to start: [FAILED] Failed to start foo.service - Foo.\n',
    );
    const json = await kola(['check-console', '--json', 'bad.txt']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      matched: true,
      files: [
        {
          file: 'bad.txt',
          matches: [
            { line: 2, id: 'kernel-panic' },
            { line: 5, id: 'failed-to-start' },
          ],
        },
      ],
    });
    const skip = await kola(['check-console', '--skip-flag', 'no-kernel-panic-check', 'bad.txt']);
    expect(skip.stdout).not.toContain('kernel panic');
    const missing = await kola(['check-console', 'clean.txt', 'nope.txt']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.txt: no such file');
  });

  it('--tests-dir adds tests from a JS module without rebuilding', async () => {
    const dir = join(cwd, 'ext-tests');
    await mkdir(dir);
    await writeFile(
      join(dir, 'my-tests.mjs'),
      `export function register(registry, kola) {
         registry.register(kola.defineTest({
           name: 'ext.hello', tags: ['ext'], platforms: ['qemu'], description: 'from a module',
           run: async (c) => { c.log('hi'); },
         }));
       }`,
    );
    const r = await kola(['list', '--json', '--tests-dir', dir]);
    expect(r.code).toBe(0);
    const ext = (JSON.parse(r.stdout) as { Name: string; Source: string; Platforms: string[] }[]).find(
      (t) => t.Name === 'ext.hello',
    );
    expect(ext).toEqual(expect.objectContaining({ Source: join(dir, 'my-tests.mjs'), Platforms: ['qemu'] }));

    await writeFile(
      join(dir, 'zz-dup.mjs'),
      `export function register(r) { r.register({ name: 'basic.ssh', run() {} }); }`,
    );
    const dup = await kola(['list', '--tests-dir', dir]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain(
      `test basic.ssh is defined twice: in built-in and in ${join(dir, 'zz-dup.mjs')}`,
    );
  });
});

describe('kola in a pipeline whose reader leaves early (as `| head -c 10`)', () => {
  let many: string;
  beforeAll(async () => {
    // 3000 tests: the listing (~250 KiB of text, more as JSON) is far more than a pipe holds.
    many = join(cwd, 'many-tests');
    await mkdir(many);
    await writeFile(
      join(many, 'many.mjs'),
      `export function register(registry, kola) {
         for (let i = 0; i < 3000; i++)
           registry.register(kola.defineTest({ name: 'many.t' + i, platforms: ['qemu'], run: async () => {} }));
       }`,
    );
  });

  for (const args of [['list'], ['list', '--json'], ['--help'], ['run', '--help']]) {
    it(`kola ${args.join(' ')} (large output) exits 0 without a stack`, async () => {
      const r = await runWithClosedPipe(
        bin,
        [...args, ...(args[0] === 'list' ? ['--tests-dir', many] : [])],
        {
          cwd,
        },
      );
      expect(r.head).toHaveLength(10);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }

  it('as the shell runs it: `kola list --json | head -c 10` under pipefail exits 0', async () => {
    const r = await run(
      'bash',
      [
        '-c',
        'set -o pipefail; "$0" "$1" list --json --tests-dir "$2" | head -c 10',
        process.execPath,
        bin,
        many,
      ],
      { cwd, reject: false },
    );
    expect(r.stdout).toBe('[\n  {\n    ');
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('a write that really fails (> /dev/full) is an error, exit 1', async () => {
    const r = await run('bash', ['-c', '"$0" "$1" list > /dev/full', process.execPath, bin], {
      cwd,
      reject: false,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error: cannot write to stdout: ENOSPC');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
