// The app's stdout and stderr leave the VM through virtio-serial ports that qemu writes into
// regular files (`-chardev file`). A regular file never makes qemu's write wait, so everything
// the app wrote is in the file before the init reports the exit code on another port; a pipe or
// socket would let qemu hold data back (EAGAIN) and the exit code overtake it. vm-pilot follows
// the files as they grow (like tail -f) and copies them to its own stdout/stderr, and after the
// exit code arrives copies the rest.
import { closeSync, openSync, readSync } from 'node:fs';

/** Follows a growing file from an offset, writing what appears to `out`. */
export class FileFollower {
  private fd: number | undefined;
  private buf = Buffer.alloc(64 * 1024);

  constructor(
    private readonly path: string,
    private readonly out: NodeJS.WritableStream,
    private offset = 0,
    /** rewrites what is read before it is written (the telnet stream of a TTY app) */
    private readonly transform?: (chunk: Buffer) => Buffer,
  ) {}

  /** Copy what is there now; returns the number of bytes copied. */
  pump(): number {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch {
        return 0;
      }
    }
    let total = 0;
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
      if (n <= 0) return total;
      this.offset += n;
      total += n;
      const chunk = Buffer.from(this.buf.subarray(0, n));
      this.out.write(this.transform ? this.transform(chunk) : chunk);
    }
  }

  get position(): number {
    return this.offset;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Read a small file whole, or '' when it is not there. */
export function readSmall(path: string, from = 0): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const b = Buffer.alloc(4096);
    const n = readSync(fd, b, 0, b.length, from);
    return b.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
