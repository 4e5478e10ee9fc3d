/**
 * The Levenshtein distance between two strings (insertions, deletions and substitutions of one
 * UTF-16 unit each): what the tools' "did you mean ...?" hints for an unknown key measure by.
 */
export function editDistance(a: string, b: string): number {
  // One row of the table at a time: memory grows with the shorter side only.
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
