import { describe, expect, it } from 'vitest';
import { MantleError } from '../errors/mantle-error.js';
import { parseIniSource } from './ini-source.js';

const src = {
  path: '/h/.aws/credentials',
  display: '~/.aws/credentials',
  via: 'default location',
  explicit: false,
};

describe('parseIniSource', () => {
  it('keeps dotted section names whole and drops nested (indented) settings', async () => {
    const text =
      '# c\n[profile a.b]\nregion = x\ns3 =\n  max_concurrent_requests = 20\n; c\n[default]\nk=v=w\n';
    expect(await parseIniSource(src, text)).toEqual({
      'profile a.b': { region: 'x', s3: '' },
      default: { k: 'v=w' },
    });
  });

  it.each([
    ['[default\nk = v\n', 1, 'expected a section header'],
    ['k = v\n[default]\n', 1, 'a setting before the first [section]'],
    ['[default]\nnot a setting\n', 2, 'expected "[section]", "key = value" or a comment'],
    ['[ ]\n', 1, 'empty section name'],
  ])('reports %j at line %i', async (text, line, what) => {
    const err = await parseIniSource(src, text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MantleError);
    expect((err as MantleError).message).toContain(`~/.aws/credentials: invalid INI: ${what}`);
    expect((err as MantleError).details).toMatchObject({ line });
  });
});
