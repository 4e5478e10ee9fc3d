import { describe, expect, it } from 'vitest';
import { podmanOptions } from './options.js';

const opts = { ignoreMissingVolumes: false };

describe('podmanOptions', () => {
  it('asks for a terminal with no options at all (podman-pilot adds --tty --interactive then)', () => {
    expect(podmanOptions(undefined, {}, opts)).toEqual({ args: [], wantsTty: true });
  });
  it("takes flake-ctl's -ti apart: -i stays, the tty is decided at launch", () => {
    expect(podmanOptions(['-ti', '--rm'], {}, opts)).toEqual({ args: ['-i', '--rm'], wantsTty: true });
    expect(podmanOptions(['-t'], {}, opts)).toEqual({ args: [], wantsTty: true });
    expect(podmanOptions(['--tty=false', '--network none'], {}, opts)).toEqual({
      args: ['--network', 'none'],
      wantsTty: false,
    });
  });
  it('leaves value options alone and expands %VARs', () => {
    expect(podmanOptions(['-v %HOME:/h', '--name t1'], { HOME: '/root' }, opts).args).toEqual([
      '-v',
      '/root:/h',
      '--name',
      't1',
    ]);
  });
  it('drops volumes whose host path is missing with %ignore_missing_volume_path', () => {
    const r = podmanOptions(
      ['-v /nonexistent-pilot:/x', '--volume=/also-missing:/y', '-v /tmp:/t'],
      {},
      { ignoreMissingVolumes: true },
    );
    expect(r.args).toEqual(['-v', '/tmp:/t']);
  });
});
