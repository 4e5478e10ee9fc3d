// The host side of the telnet stream a TTY app's VM talks (guest-init.ts: busybox telnetd on the
// stdin/stdout ports owns the app's pty). Only what telnetd sends and understands is handled:
// its opening option requests (answered by nothing: telnetd does not wait for answers), doubled
// 0xff bytes, and the window size (NAWS) vm-pilot sends at start and on every resize.

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
const WILL = 0xfb;
const DONT = 0xfe;
const NAWS = 31;

/** Strips telnet commands from the VM's output, keeping the app's bytes (state kept between chunks). */
export class TelnetDecoder {
  // 0 data, 1 after IAC, 2 option byte of WILL/WONT/DO/DONT, 3 in a subnegotiation, 4 IAC in one
  private state = 0;

  decode(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(chunk.length);
    let n = 0;
    for (const b of chunk) {
      switch (this.state) {
        case 0:
          if (b === IAC) this.state = 1;
          else out[n++] = b;
          break;
        case 1:
          if (b === IAC) {
            out[n++] = IAC;
            this.state = 0;
          } else if (b >= WILL && b <= DONT) this.state = 2;
          else if (b === SB) this.state = 3;
          else this.state = 0;
          break;
        case 2:
          this.state = 0;
          break;
        case 3:
          if (b === IAC) this.state = 4;
          break;
        default:
          this.state = b === SE ? 0 : 3;
      }
    }
    return out.subarray(0, n);
  }
}

/** The caller's keystrokes as telnet data: a 0xff byte doubled. */
export function telnetEscape(data: Buffer): Buffer {
  if (!data.includes(IAC)) return data;
  const out: number[] = [];
  for (const b of data) out.push(...(b === IAC ? [IAC, IAC] : [b]));
  return Buffer.from(out);
}

/**
 * The window size message. busybox telnetd reads the four size bytes as they come (it does not
 * undo a doubled 0xff), so no size byte may be 0xff: such a size is sent one smaller.
 */
export function nawsMessage(columns: number, rows: number): Buffer {
  const size = (v: number): number => {
    const x = Math.max(1, Math.min(Math.floor(v) || 1, 0xfeff));
    return (x & 0xff) === 0xff ? x - 1 : x;
  };
  const c = size(columns);
  const r = size(rows);
  return Buffer.from([IAC, SB, NAWS, c >> 8, c & 0xff, r >> 8, r & 0xff, IAC, SE]);
}
