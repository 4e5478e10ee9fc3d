import { describe, expect, it } from 'vitest';
import { noopTransferFile, parseTransfer, transferFile } from './transfer.js';

describe('sysupdate transfer files', () => {
  it('writes the sysext-bakery transfer layout', () => {
    const t = parseTransfer(transferFile({ name: 'docker', baseUrl: 'https://example.com/ext' }));
    expect(t).toEqual({
      Transfer: { Verify: 'false' },
      Source: { Type: 'url-file', Path: 'https://example.com/ext/', MatchPattern: 'docker-@v-%a.raw' },
      Target: {
        InstancesMax: '3',
        Type: 'regular-file',
        Path: '/opt/extensions/docker',
        MatchPattern: 'docker-@v-%a.raw',
        CurrentSymlink: '/etc/extensions/docker.raw',
      },
    });
    expect(
      parseTransfer(transferFile({ name: 'd', baseUrl: 'http://h/', verify: true, matchPattern: 'd_@v.raw' }))
        .Source!.MatchPattern,
    ).toBe('d_@v.raw');
  });

  it('refuses bad URLs and patterns', () => {
    expect(() => transferFile({ name: 'd', baseUrl: 'ftp://x' })).toThrow(/--base-url/);
    expect(() => transferFile({ name: 'd', baseUrl: 'https://x', matchPattern: 'd.raw' })).toThrow(
      /must contain @v/,
    );
    expect(() => transferFile({ name: 'a/b', baseUrl: 'https://x' })).toThrow(/contains a '\/'/);
  });

  it('has a noop that never matches', () => {
    expect(parseTransfer(noopTransferFile())).toEqual({
      Source: { Type: 'regular-file', Path: '/', MatchPattern: 'invalid@v.raw' },
      Target: { Type: 'regular-file', Path: '/' },
    });
  });
});
