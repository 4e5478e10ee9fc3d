import { ExecError, requireTool } from '@mantle/core/exec';
import { InterruptedError } from '@mantle/core/errors';
import { type Logger } from '@mantle/core/log';
import { noProgress, type ProgressFactory } from './progress.js';

export interface QemuImgConvertOptions {
  input: string;
  /** qemu's driver name: raw, qcow2, vmdk, vpc, vhdx */
  inputFormat: string;
  output: string;
  outputFormat: 'raw' | 'qcow2' | 'vmdk' | 'vpc' | 'vhdx';
  /** `-o` creation options, e.g. ['subformat=streamOptimized'] */
  options?: readonly string[];
  /** compress (qcow2 `-c`) */
  compress?: boolean;
  label?: string;
  /** bytes of the virtual disk, so progress is shown in bytes (qemu-img reports percent) */
  total?: number;
  progress?: ProgressFactory;
  signal?: AbortSignal;
  logger?: Logger;
}

/**
 * `qemu-img convert` with its progress (`-p`, "(12.34/100%)" lines) fed to a ProgressFactory.
 * The output is left as qemu-img wrote it; the caller owns making it atomic.
 */
export async function qemuImgConvert(opts: QemuImgConvertOptions): Promise<void> {
  const qemuImg = await requireTool('qemu-img', {
    debianPackage: 'qemu-utils',
    purpose: `write ${opts.outputFormat} images`,
  });
  const args = [
    'convert',
    '-p',
    '-f',
    opts.inputFormat,
    '-O',
    opts.outputFormat,
    ...(opts.compress ? ['-c'] : []),
    ...(opts.options && opts.options.length > 0 ? ['-o', opts.options.join(',')] : []),
    opts.input,
    opts.output,
  ];
  opts.logger?.debug(`exec: ${[qemuImg, ...args].join(' ')}`);
  const total = opts.total ?? 10_000;
  const task = (opts.progress ?? noProgress)(opts.label ?? `qemu-img -> ${opts.outputFormat}`, total);
  const { execa } = await import('execa');
  const child = execa(qemuImg, args, {
    reject: false,
    stdin: 'ignore',
    buffer: { stdout: false, stderr: true },
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    forceKillAfterDelay: 2000,
  });
  let tail = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    tail = (tail + d).slice(-200);
    const all = [...tail.matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)];
    const last = all[all.length - 1];
    if (last) task.update(Math.round((Number(last[1]) / 100) * total));
  });
  const res = await child;
  task.finish();
  if (res.isCanceled) throw new InterruptedError('abort signal');
  if (res.exitCode !== 0) {
    throw new ExecError({
      command: qemuImg,
      args,
      exitCode: res.exitCode,
      signal: res.signal ?? undefined,
      stderr: typeof res.stderr === 'string' ? res.stderr : '',
      cause: res.cause,
    });
  }
}
