/**
 * Locating JSON syntax errors without echoing the text: V8's JSON.parse messages quote a snippet
 * of the input ("Unexpected token 's', "{"token": s3cr..." is not valid JSON"), which for a
 * credentials file would print the secret. This scanner finds the first error's offset and says
 * what was expected, never what was found.
 */

/** Where a JSON text first goes wrong. */
export interface JsonSyntaxProblem {
  /** 1-based line */
  line: number;
  /** 1-based column */
  column: number;
  /** what was expected there, e.g. `',' or '}' after a property value` */
  reason: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** Scan `text` as strict JSON; returns the first problem, or undefined when it is valid. */
export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  let i = 0;
  const n = text.length;
  const fail = (reason: string, at = i): never => {
    throw new Stop(at, reason);
  };
  const ws = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail('a value (object, array, string, number, true, false or null)');
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= n) fail("a closing '\"' before the end of the file");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('no control character (e.g. a raw newline) inside a string');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('four hex digits after \\u', i + 2);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', i + 1);
      } else i++;
    }
  };
  const digits = (what: string): void => {
    const start = i;
    while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    if (i === start) fail(what);
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') {
      i++;
      if (i < n && /[0-9]/.test(text[i] ?? '')) fail('no leading zero in a number');
    } else digits('a digit');
    if (text[i] === '.') {
      i++;
      digits('a digit after the decimal point');
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits('a digit in the exponent');
    }
  };
  const value = (depth: number): void => {
    if (depth > 512) fail('less deeply nested values');
    ws();
    if (i >= n) fail('a value before the end of the file');
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"')
          fail(text[i] === '}' ? 'a property name (no trailing comma)' : 'a double-quoted property name');
        string();
        ws();
        if (text[i] !== ':') fail("':' after a property name");
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail("',' or '}' after a property value");
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === ']') fail('a value (no trailing comma)');
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail("',' or ']' after an array element");
      }
    } else if (c === '"') string();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else
      fail(
        c === "'"
          ? 'a double-quoted string (JSON has no single quotes)'
          : 'a value (object, array, string, number, true, false or null)',
      );
  };
  try {
    value(0);
    ws();
    if (i < n) fail('the end of the file after the top-level value');
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    return { ...lineColumn(text, Math.min(err.offset, n)), reason: err.reason };
  }
}

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
