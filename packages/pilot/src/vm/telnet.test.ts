import { describe, expect, it } from 'vitest';
import { nawsMessage, TelnetDecoder, telnetEscape } from './telnet.js';

describe('telnet stream of a TTY app', () => {
  it("drops telnetd's option requests and subnegotiations, keeps a doubled 0xff once, across chunks", () => {
    const d = new TelnetDecoder();
    const opening = Buffer.from([255, 253, 1, 255, 253, 31, 255, 251, 1, 255, 251, 3]);
    const a = d.decode(Buffer.concat([opening, Buffer.from('hi'), Buffer.from([255])]));
    const b = d.decode(Buffer.from([255, 0x41, 255, 250, 31, 0, 80, 255, 240, 0x42]));
    expect([...a, ...b]).toEqual([0x68, 0x69, 255, 0x41, 0x42]);
  });

  it('doubles 0xff in keystrokes; window sizes never carry a 0xff byte', () => {
    expect([...telnetEscape(Buffer.from([1, 255, 2]))]).toEqual([1, 255, 255, 2]);
    expect([...nawsMessage(101, 33)]).toEqual([255, 250, 31, 0, 101, 0, 33, 255, 240]);
    expect([...nawsMessage(255, 0)].slice(3, 7)).toEqual([0, 254, 0, 1]);
  });
});
