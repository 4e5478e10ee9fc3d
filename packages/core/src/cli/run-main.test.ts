import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InputError, PrerequisiteError } from '../errors/mantle-error.js';
import { registerSecret } from '../log/redact.js';
import { onCleanup, pendingCleanups } from './cleanup.js';
import { notBuiltYet, type CliSpec } from './command.js';
import { runMain } from './run-main.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const spec: CliSpec = {
  name: 'demo',
  examples: [['$0 greet world', 'say hello']],
  version: '1.2.3',
  description: 'a demo tool',
  commands: (y, bind) =>
    y
      .command(
        bind({
          command: 'greet <who>',
          examples: [],
          describe: 'say hello',
          builder: (b) => b.positional('who', { type: 'string', demandOption: true }),
          run: (args) => Promise.resolve({ greeting: `hello ${args.who}` }),
          print: (data: { greeting: string }, ctx) => ctx.stdout.write(`${data.greeting}\n`),
        }),
      )
      .command(
        bind({
          command: 'bad',
          examples: [],
          describe: 'fails with bad input',
          run: () =>
            Promise.reject(
              new InputError({ code: 'BAD_THING', message: 'thing.json: field "x" is wrong', hint: 'fix x' }),
            ),
        }),
      )
      .command(
        bind({
          command: 'missing',
          examples: [],
          describe: 'fails with a missing prerequisite',
          run: () => Promise.reject(new PrerequisiteError({ code: 'NO_TOOL', message: 'no tool' })),
        }),
      )
      .command(
        bind({
          command: 'secret',
          examples: [],
          describe: 'fails with a secret in the message',
          run: () => {
            registerSecret('hunter2-very-secret');
            return Promise.reject(new Error('login with hunter2-very-secret failed'));
          },
        }),
      )
      .command(
        bind({
          command: 'cleanup',
          examples: [],
          describe: 'registers a cleanup',
          run: (_args, ctx) => {
            onCleanup(() => {
              ctx.stderr.write('cleaned\n');
            }, 'demo');
            ctx.setExitCode(1);
            return Promise.resolve(undefined);
          },
        }),
      )
      .command(
        bind({
          command: 'pick [globs..]',
          examples: [],
          describe: 'a repeatable flag beside positionals',
          builder: (b) =>
            b
              .positional('globs', { type: 'string', array: true })
              .option('tag', { type: 'string', array: true }),
          run: (args) => Promise.resolve({ tag: args.tag, globs: args.globs }),
        }),
      )
      .command(
        bind({
          command: 'stream',
          examples: [],
          describe: 'writes lines until stopped',
          run: async (_args, ctx) => {
            while (!ctx.signal.aborted) {
              ctx.stdout.write('line\n');
              await new Promise((r) => setTimeout(r, 1));
            }
            throw new Error('stopped');
          },
        }),
      )
      .command(bind(notBuiltYet('later', 'a future command', 'issue 9'))),
};

/** A stdout whose writes fail with `code` after `okWrites` writes, as a closed pipe's do. */
function failingStdout(code: string, okWrites = 0): PassThrough {
  const s = new PassThrough();
  s.resume();
  let n = 0;
  const write = s.write.bind(s);
  s.write = ((chunk: never) => {
    if (n++ < okWrites) return write(chunk);
    process.nextTick(() => s.emit('error', Object.assign(new Error(`write ${code}`), { code })));
    return false;
  }) as typeof s.write;
  return s;
}

async function call(argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await runMain(spec, { argv, stdout: out.stream, stderr: err.stream, handleSignals: false });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('runMain', () => {
  it('prints data as text, or as JSON with --json', async () => {
    expect(await call(['greet', 'world'])).toMatchObject({ code: 0, stdout: 'hello world\n' });
    const json = await call(['greet', 'world', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ greeting: 'hello world' });
  });

  it('answers --version and --help with exit 0', async () => {
    expect((await call(['--version'])).stdout.trim()).toBe('demo 1.2.3');
    expect((await call(['version'])).stdout).toBe('demo 1.2.3\n');
    expect(JSON.parse((await call(['version', '--json'])).stdout)).toEqual({
      name: 'demo',
      version: '1.2.3',
    });
    const help = await call(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('greet <who>');
  });

  it('gives a repeatable flag one value per occurrence, as pflag does (globs stay positional)', async () => {
    const r = await call(['pick', '--tag', 'smoke', 'basic.*', '--tag', 'net', 'ext.*', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({ tag: ['smoke', 'net'], globs: ['basic.*', 'ext.*'] });
  });

  it('maps bad usage to exit 2 with a hint', async () => {
    const r = await call(['nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown argument: nope/);
    expect(r.stderr).toContain("run 'demo --help'");
    expect((await call([])).code).toBe(2);
  });

  it('maps typed errors to their exit codes and prints message and hint', async () => {
    const bad = await call(['bad']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error: thing.json: field "x" is wrong');
    expect(bad.stderr).toContain('hint: fix x');
    expect((await call(['missing'])).code).toBe(3);
    const json = await call(['bad', '--json']);
    expect(JSON.parse(json.stderr)).toMatchObject({ code: 'BAD_THING' });
    expect(json.stdout).toBe('');
  });

  it('never prints a registered secret', async () => {
    const r = await call(['secret']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('hunter2-very-secret');
    expect(r.stderr).toContain('***');
  });

  it('runs registered cleanups and honours setExitCode', async () => {
    const r = await call(['cleanup']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cleaned');
    expect(pendingCleanups()).toBe(0);
  });

  /** Run with a stdout whose writes fail, as a closed pipe's or a full disk's do. */
  async function callFailing(argv: string[], code: string, okWrites = 0) {
    const err = capture();
    const exit = await runMain(spec, {
      argv,
      stdout: failingStdout(code, okWrites),
      stderr: err.stream,
      handleSignals: false,
    });
    return { code: exit, stderr: err.text() };
  }

  it('ends quietly when the reader of stdout left after the data was printed (exit 0)', async () => {
    expect(await callFailing(['greet', 'world'], 'EPIPE')).toEqual({ code: 0, stderr: '' });
  });

  it('stops a command still working when the reader left, quietly, with exit 141 (as SIGPIPE does)', async () => {
    expect(await callFailing(['stream'], 'EPIPE', 3)).toEqual({ code: 141, stderr: '' });
  });

  it('reports a stdout that cannot be written (ENOSPC) as a failure, exit 1', async () => {
    const r = await callFailing(['greet', 'world'], 'ENOSPC');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: cannot write to stdout: write ENOSPC');
  });

  it('says a command is not built yet and exits 2', async () => {
    const r = await call(['later', '--some-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'later' is not built yet");
  });
});
