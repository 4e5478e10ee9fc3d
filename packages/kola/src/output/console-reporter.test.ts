import { paint } from '@mantle/core/log';
import { describe, expect, it } from 'vitest';
import { paintResultLine } from './console-reporter.js';

describe('paintResultLine', () => {
  const on = (style: 'green' | 'red' | 'yellow', text: string): string => paint(style, text, true);
  const off = (_style: 'green' | 'red' | 'yellow', text: string): string => text;

  it('paints the result word of result lines and the final line only', () => {
    expect(paintResultLine('--- PASS: cl.basic (1.00s)', on)).toBe(
      '--- \u001b[32mPASS\u001b[39m: cl.basic (1.00s)',
    );
    expect(paintResultLine('    --- FAIL: cl.basic/sub (1.00s)', on)).toBe(
      '    --- \u001b[31mFAIL\u001b[39m: cl.basic/sub (1.00s)',
    );
    expect(paintResultLine('--- SKIP: x (0.00s)', on)).toContain('\u001b[33mSKIP');
    expect(paintResultLine('FAIL, output in _kola_temp/qemu-1', on)).toBe(
      '\u001b[31mFAIL\u001b[39m, output in _kola_temp/qemu-1',
    );
    // A test's own output that happens to start with PASS: is not a result line.
    expect(paintResultLine('PASS: said the test', on)).toBe('PASS: said the test');
    expect(paintResultLine('=== RUN   cl.basic', on)).toBe('=== RUN   cl.basic');
    expect(paintResultLine('--- PASS: cl.basic (1.00s)', off)).toBe('--- PASS: cl.basic (1.00s)');
  });
});
