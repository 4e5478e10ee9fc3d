import { describe, expect, it } from 'vitest';
import { PrerequisiteError } from '../errors/mantle-error.js';
import { ExecError } from './exec-error.js';
import { findTool, requireTool } from './require-tool.js';
import { run, runText } from './run.js';

describe('run', () => {
  it('passes arguments without a shell', async () => {
    // A shell would expand $HOME and split on spaces; execa with an array must not.
    expect(await runText('printf', ['%s|', 'a b', '$HOME'])).toBe('a b|$HOME|');
  });

  it('feeds stdin', async () => {
    expect((await run('cat', [], { input: 'data in' })).stdout).toBe('data in');
  });

  it('turns a failure into an ExecError with the stderr tail', async () => {
    const err = await run('sh', ['-c', 'echo first >&2; echo boom >&2; exit 7']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    const e = err as ExecError;
    expect(e.commandExitCode).toBe(7);
    expect(e.stderrTail).toContain('boom');
    expect(e.message).toContain('exited with code 7');
  });

  it('returns the exit code when reject is false', async () => {
    expect((await run('sh', ['-c', 'exit 5'], { reject: false })).exitCode).toBe(5);
  });

  it('kills a command that runs past its timeout', async () => {
    const start = Date.now();
    const err = await run('sleep', ['30'], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect((err as ExecError).timedOut).toBe(true);
    // far below the 30 s of the sleep, with room for a loaded runner
    expect(Date.now() - start).toBeLessThan(15_000);
  });

  it('stops on an abort signal', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const err = await run('sleep', ['10'], { signal: ac.signal }).catch((e: unknown) => e);
    expect((err as { code: string }).code).toBe('INTERRUPTED');
  });

  it('reports a missing program as TOOL_MISSING (exit 3) naming its Debian package', async () => {
    const err = (await run('no-such-program-xyz', []).catch((e: unknown) => e)) as PrerequisiteError;
    expect(err).toBeInstanceOf(PrerequisiteError);
    expect(err).toMatchObject({ exitCode: 3, code: 'TOOL_MISSING' });
    expect(err.message).toContain('no-such-program-xyz');
    expect(err.hint).toBe('install no-such-program-xyz and put it on PATH');
    const pkg = (await run('/nonexistent/mksquashfs', []).catch((e: unknown) => e)) as PrerequisiteError;
    expect(pkg).toMatchObject({
      exitCode: 3,
      code: 'TOOL_MISSING',
      hint: 'install it: apt-get install squashfs-tools',
    });
    const given = (await run('no-such-program-xyz', [], { debianPackage: 'xyz-tools' }).catch(
      (e: unknown) => e,
    )) as PrerequisiteError;
    expect(given.hint).toBe('install it: apt-get install xyz-tools');
  });
});

describe('requireTool', () => {
  it('finds tools on PATH and in sbin dirs', async () => {
    expect(await findTool('sh')).toMatch(/\/sh$/);
    expect(await requireTool('sh')).toMatch(/^\//);
  });

  it('fails with exit 3 naming the Debian package', async () => {
    const err = await requireTool('mksquashfs-not-here', { debianPackage: 'squashfs-tools' }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ exitCode: 3, code: 'TOOL_MISSING' });
    expect((err as Error & { hint: string }).hint).toBe('install it: apt-get install squashfs-tools');
  });
});
