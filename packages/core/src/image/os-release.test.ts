import { describe, expect, it } from 'vitest';
import { InputError } from '../errors/mantle-error.js';
import { parseOsRelease, parseVersionTxt } from './os-release.js';

describe('os-release', () => {
  it('parses quotes, escapes, comments and continuation', () => {
    const text = [
      '# comment',
      'NAME="Flatcar Container Linux by Kinvolk"',
      'ID=flatcar',
      "ID_LIKE='coreos linux'",
      'PRETTY_NAME="Say \\"hi\\" \\\\ \\$HOME \\`x\\`"',
      'UNQUOTED=a\\ b',
      'EMPTY=',
      '',
      'export EXPORTED=yes',
      'MULTI="one',
      'two"',
      'HASH=#notacomment',
      'TRAIL=value # a comment',
      'CRLF="x"\r',
    ].join('\n');
    expect(parseOsRelease(text)).toEqual({
      NAME: 'Flatcar Container Linux by Kinvolk',
      ID: 'flatcar',
      ID_LIKE: 'coreos linux',
      PRETTY_NAME: 'Say "hi" \\ $HOME `x`',
      UNQUOTED: 'a b',
      EMPTY: '',
      EXPORTED: 'yes',
      MULTI: 'one\ntwo',
      HASH: '#notacomment',
      TRAIL: 'value',
      CRLF: 'x',
    });
  });

  it('rejects bad lines naming the file and line', () => {
    const err = (t: string): InputError => {
      try {
        parseOsRelease(t, 'etc/os-release');
      } catch (e) {
        return e as InputError;
      }
      throw new Error('expected error');
    };
    expect(err('ID=flatcar\nnot a pair').message).toMatch(/etc\/os-release:2: expected KEY=value/);
    expect(err('A="open').message).toMatch(/unterminated " quote/);
    expect(err('A=two words').message).toMatch(/unquoted whitespace/);
    expect(err('A="open').exitCode).toBe(2);
  });

  it('parses Flatcar version.txt', () => {
    const v = parseVersionTxt(
      'FLATCAR_BUILD=4081\nFLATCAR_BRANCH=2\nFLATCAR_PATCH=0\nFLATCAR_VERSION=4081.2.0\nFLATCAR_VERSION_ID=4081.2.0\nFLATCAR_BUILD_ID=""\nFLATCAR_SDK_VERSION=4081.0.0\n',
    );
    expect(v).toMatchObject({ version: '4081.2.0', versionId: '4081.2.0', sdkVersion: '4081.0.0' });
    expect(v.buildId).toBeUndefined();
    expect(v.fields.FLATCAR_BUILD).toBe('4081');
    expect(() => parseVersionTxt('ID=flatcar\n')).toThrow(/has no FLATCAR_VERSION=/);
  });
});
