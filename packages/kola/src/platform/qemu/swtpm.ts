import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationError } from '@mantle/core/errors';
import type { Logger } from '@mantle/core/log';
import { requireTool } from '@mantle/core/exec';
import { describeExit, spawnGuarded, type ChildHandle } from './child.js';

/** A running software TPM 2.0 for one machine. */
export interface Swtpm {
  /** the control socket qemu's tpm emulator chardev connects to */
  socket: string;
  process: ChildHandle;
}

const SOCKET_WAIT_MS = 5000;

/** Start `swtpm socket --tpm2` with its state in `dir`; it exits when qemu disconnects. */
export async function startSwtpm(dir: string, logger?: Logger): Promise<Swtpm> {
  const swtpm = await requireTool('swtpm', {
    debianPackage: 'swtpm',
    purpose: 'give machines a TPM (--qemu-tpm)',
  });
  const state = join(dir, 'state');
  await mkdir(state, { recursive: true, mode: 0o700 });
  const socket = join(dir, 'swtpm.sock');
  const child = await spawnGuarded(
    swtpm,
    [
      'socket',
      '--tpm2',
      '--tpmstate',
      `dir=${state}`,
      '--ctrl',
      `type=unixio,path=${socket}`,
      '--log',
      `file=${join(dir, 'swtpm.log')},level=1`,
      '--terminate',
    ],
    logger ? { logger } : {},
  );
  const deadline = Date.now() + SOCKET_WAIT_MS;
  for (;;) {
    const info = child.exitInfo();
    if (info) {
      throw new OperationError({
        code: 'QEMU_SWTPM_FAILED',
        message: `swtpm exited (${describeExit(info)}) before it listened${child.outputTail() ? `:\n${child.outputTail(10)}` : ''}`,
        hint: 'check that swtpm works: swtpm socket --tpm2 --tpmstate dir=/tmp/x --ctrl type=unixio,path=/tmp/x.sock',
      });
    }
    if (
      await stat(socket).then(
        (s) => s.isSocket(),
        () => false,
      )
    )
      return { socket, process: child };
    if (Date.now() > deadline) {
      await child.stop(500);
      throw new OperationError({
        code: 'QEMU_SWTPM_FAILED',
        message: `swtpm did not create its socket ${socket} within ${SOCKET_WAIT_MS / 1000} s`,
        hint: 'the machine may be overloaded; try again',
      });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
