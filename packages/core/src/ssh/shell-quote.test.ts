import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote, shellQuoteWord } from './shell-quote.js';

describe('shellQuote', () => {
  it('leaves plain words alone and quotes the rest', () => {
    expect(shellQuote(['ls', '-la', '/usr/lib/os-release', 'a=b', 'x@y:z'])).toBe(
      'ls -la /usr/lib/os-release a=b x@y:z',
    );
    expect(shellQuoteWord('')).toBe("''");
    expect(shellQuoteWord('two words')).toBe("'two words'");
    expect(shellQuoteWord("it's")).toBe("'it'\\''s'");
    expect(shellQuoteWord('$(reboot)')).toBe("'$(reboot)'");
  });

  it('rejects NUL bytes, which no shell argument can carry', () => {
    expect(() => shellQuote(['a\0b'])).toThrow(/NUL/);
  });

  // The point of quoting: a real shell must hand every word back unchanged, however hostile.
  it.each(['sh', 'bash', 'busybox'])('round-trips hostile words through %s', (shell) => {
    const words = [
      '',
      ' ',
      "'",
      '"',
      '\\',
      '$HOME',
      '`id`',
      '$(id)',
      'a b\tc\nd',
      '*',
      '?',
      '~',
      '!x',
      ';',
      '&&',
      '|',
      '>',
      '#x',
      '-n',
      'ünï©ødé',
      "'\\''",
    ];
    const argv = shell === 'busybox' ? ['busybox', 'sh', '-c'] : [shell, '-c'];
    const script = `for a in ${shellQuote(words)}; do printf '%s\\0' "$a"; done`;
    const out = execFileSync(argv[0] as string, [...argv.slice(1), script], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(words);
  });
});
