import { describe, expect, it } from 'vitest';
import { demultiplexer } from './api-client.js';
import { mapOptions, type CreateSpec } from './api-spec.js';

const spec = (): CreateSpec => ({
  image: 'i',
  command: [],
  stdin: true,
  httpproxy: true,
  labels: {},
  env: {},
});

describe('mapOptions (flake podman options → libpod spec)', () => {
  it('maps the options it knows, in both spellings', () => {
    const s = spec();
    const ok = mapOptions(
      s,
      [
        '--network',
        'none',
        '-e',
        'A=1',
        '--env=B',
        '-u',
        '1000',
        '--workdir=/w',
        '--cap-add',
        'NET_ADMIN,SYS_TIME',
        '--read-only',
        '--rm',
        '-i',
        '-l',
        'x=y',
      ],
      { B: 'from-env' },
    );
    expect(ok).toBe(true);
    expect(s).toMatchObject({
      netns: { nsmode: 'none' },
      env: { A: '1', B: 'from-env' },
      user: '1000',
      work_dir: '/w',
      cap_add: ['NET_ADMIN', 'SYS_TIME'],
      read_only_filesystem: true,
      labels: { x: 'y' },
    });
  });

  it('leaves -e NAME out when the caller has no NAME, as podman does', () => {
    const s = spec();
    expect(mapOptions(s, ['-e', 'UNSET_HERE'], {})).toBe(true);
    expect(s.env).toEqual({});
  });

  it('refuses what it cannot map faithfully (the CLI runs those)', () => {
    for (const args of [
      ['-v', '/a:/b'],
      ['--network', 'bridge'],
      ['--privileged=maybe'],
      ['-e', 'P*'],
      ['--user'],
      ['-p', '80:80'],
    ])
      expect(mapOptions(spec(), args, {})).toBe(false);
  });
});

describe('demultiplexer (attach stream framing)', () => {
  it('splits stdout and stderr frames, also across reads', () => {
    const out: string[] = [];
    const err: string[] = [];
    const feed = demultiplexer(
      (c) => out.push(c.toString()),
      (c) => err.push(c.toString()),
    );
    const frame = (stream: number, text: string): Buffer => {
      const h = Buffer.alloc(8);
      h[0] = stream;
      h.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([h, Buffer.from(text)]);
    };
    const all = Buffer.concat([frame(1, 'out1'), frame(2, 'err'), frame(1, 'out2')]);
    feed(all.subarray(0, 5));
    feed(all.subarray(5, 14));
    feed(all.subarray(14));
    expect(out).toEqual(['out1', 'out2']);
    expect(err).toEqual(['err']);
  });
});
