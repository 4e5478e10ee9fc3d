import { describe, expect, it } from 'vitest';
import { parseUpholds, parseUpholdsLines, upholdDropIn, upholdDropInPath } from './upholds.js';

/** The error `fn` throws (or rejects with), for checking its code and exit code. */
function thrown(fn: () => unknown): { code?: string; exitCode?: number; message: string; hint?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; exitCode?: number; message: string; hint?: string };
  }
  throw new Error('expected a throw');
}

describe('upholds', () => {
  it('picks the target by unit type, or takes TARGET:UNIT', () => {
    expect(
      parseUpholds(['docker.socket', 'containerd.service', 'x.timer', 'timers.target:y.service']),
    ).toEqual([
      { unit: 'docker.socket', target: 'sockets.target' },
      { unit: 'containerd.service', target: 'multi-user.target' },
      { unit: 'x.timer', target: 'timers.target' },
      { unit: 'y.service', target: 'timers.target' },
    ]);
    expect(thrown(() => parseUpholds(['nope']))).toMatchObject({ code: 'BAD_UNIT', exitCode: 2 });
    expect(() => parseUpholds(['nope'])).toThrow('--upholds "nope"');
  });

  it('writes the drop-in sysext-bakery documents', () => {
    const u = { unit: 'docker.socket', target: 'sockets.target' };
    expect(upholdDropInPath(u)).toBe('usr/lib/systemd/system/sockets.target.d/10-docker-socket.conf');
    expect(upholdDropIn(u)).toBe('[Unit]\nUpholds=docker.socket\n');
    expect(parseUpholdsLines('[Unit]\nUpholds=a.service b.service\n[Service]\nUpholds=c.service\n')).toEqual([
      'a.service',
      'b.service',
    ]);
  });
});
