import { describe, expect, it } from 'vitest';
import { findJsonSyntaxProblem } from './json-syntax.js';

describe('findJsonSyntaxProblem', () => {
  it('agrees with JSON.parse on what is valid', () => {
    const samples = [
      '{}',
      '[]',
      '"x"',
      '0',
      '-0.5e+10',
      'true',
      'null',
      ' {"a": [1, 2, {"b": "\\u00e9\\n"}]} ',
      '',
      '{',
      '{"a": 1,}',
      '[1,]',
      '{"a" 1}',
      "{'a': 1}",
      '{"a": 01}',
      '{"a": tru}',
      '{"a": "x\ny"}',
      '{"a": "\\x"}',
      '{"a": 1} x',
      '1.',
      '-',
      '{"a": "\\u12"}',
      '[1 2]',
      '{"a": .5}',
      '"unterminated',
    ];
    for (const s of samples) {
      let valid = true;
      try {
        JSON.parse(s);
      } catch {
        valid = false;
      }
      expect([s, findJsonSyntaxProblem(s) === undefined]).toEqual([s, valid]);
    }
  });

  it('gives the line and column and what was expected, not what was found', () => {
    expect(findJsonSyntaxProblem('{\n  "token": "abc",\n}')).toEqual({
      line: 3,
      column: 1,
      reason: 'a property name (no trailing comma)',
    });
    expect(findJsonSyntaxProblem('{"a": "secret" "b"}')).toEqual({
      line: 1,
      column: 16,
      reason: "',' or '}' after a property value",
    });
    expect(findJsonSyntaxProblem('{"a": "sec\nret"}')).toMatchObject({ line: 1, column: 11 });
    expect(findJsonSyntaxProblem("{'a': 1}")?.reason).toBe('a double-quoted property name');
    expect(findJsonSyntaxProblem('')).toEqual({
      line: 1,
      column: 1,
      reason: 'a value before the end of the file',
    });
  });
});
