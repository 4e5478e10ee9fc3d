// Words made only of these characters mean the same to every POSIX shell without quotes.
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for a POSIX shell (sh, bash, busybox ash) so it reaches the program unchanged. */
export function shellQuoteWord(word: string): string {
  if (word === '') return "''";
  if (SAFE_WORD.test(word)) return word;
  // Inside single quotes nothing is special except the quote itself, which we close, escape, reopen.
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Join an argument array into one command line for a remote POSIX shell, quoting every word,
 * so callers never paste user input into a shell string.
 */
export function shellQuote(args: readonly string[]): string {
  return args
    .map((a) => {
      if (typeof a !== 'string')
        throw new TypeError(`shellQuote: every argument must be a string, got ${typeof a}`);
      if (a.includes('\0'))
        throw new TypeError('shellQuote: an argument contains a NUL byte, which no shell can pass');
      return shellQuoteWord(a);
    })
    .join(' ');
}
