// The unified diff goss adds under a failed text comparison (go-difflib, itself Python's
// difflib): the longest-matching-block algorithm, hunks with one line of context, lines
// kept with their newlines.

type Opcode = ['equal' | 'replace' | 'delete' | 'insert', number, number, number, number];

/** difflib.SplitLines: strings.SplitAfter(s, "\n") with a "\n" added to the last piece. */
function splitLines(s: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) {
    lines.push(s.slice(start, i + 1));
    start = i + 1;
  }
  lines.push(`${s.slice(start)}\n`);
  return lines;
}

function matchingBlocks(a: string[], b: string[]): [number, number, number][] {
  const b2j = new Map<string, number[]>();
  b.forEach((line, j) => {
    const list = b2j.get(line);
    if (list) list.push(j);
    else b2j.set(line, [j]);
  });
  const longest = (alo: number, ahi: number, blo: number, bhi: number): [number, number, number] => {
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map<number, number>();
    for (let i = alo; i < ahi; i++) {
      const next = new Map<number, number>();
      for (const j of b2j.get(a[i] as string) ?? []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) ?? 0) + 1;
        next.set(j, k);
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
      j2len = next;
    }
    return [besti, bestj, bestsize];
  };
  const queue: [number, number, number, number][] = [[0, a.length, 0, b.length]];
  const blocks: [number, number, number][] = [];
  while (queue.length > 0) {
    const [alo, ahi, blo, bhi] = queue.pop() as [number, number, number, number];
    const [i, j, k] = longest(alo, ahi, blo, bhi);
    if (k > 0) {
      blocks.push([i, j, k]);
      if (alo < i && blo < j) queue.push([alo, i, blo, j]);
      if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
    }
  }
  blocks.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  // Join adjacent blocks, as difflib does.
  const joined: [number, number, number][] = [];
  for (const blk of blocks) {
    const last = joined[joined.length - 1];
    if (last && last[0] + last[2] === blk[0] && last[1] + last[2] === blk[1]) last[2] += blk[2];
    else joined.push([...blk]);
  }
  joined.push([a.length, b.length, 0]);
  return joined;
}

function opcodes(a: string[], b: string[]): Opcode[] {
  let i = 0;
  let j = 0;
  const out: Opcode[] = [];
  for (const [ai, bj, size] of matchingBlocks(a, b)) {
    const tag = i < ai && j < bj ? 'replace' : i < ai ? 'delete' : j < bj ? 'insert' : undefined;
    if (tag) out.push([tag, i, ai, j, bj]);
    i = ai + size;
    j = bj + size;
    if (size > 0) out.push(['equal', ai, i, bj, j]);
  }
  return out;
}

function groupedOpcodes(codes: Opcode[], n: number): Opcode[][] {
  let c = codes.length > 0 ? codes.map((x) => [...x] as Opcode) : [['equal', 0, 1, 0, 1] as Opcode];
  const first = c[0] as Opcode;
  if (first[0] === 'equal')
    c[0] = ['equal', Math.max(first[1], first[2] - n), first[2], Math.max(first[3], first[4] - n), first[4]];
  const last = c[c.length - 1] as Opcode;
  if (last[0] === 'equal')
    c[c.length - 1] = [
      'equal',
      last[1],
      Math.min(last[2], last[1] + n),
      last[3],
      Math.min(last[4], last[3] + n),
    ];
  const nn = n + n;
  const groups: Opcode[][] = [];
  let group: Opcode[] = [];
  for (const [tag, i1, i2, j1, j2] of c) {
    if (tag === 'equal' && i2 - i1 > nn) {
      group.push(['equal', i1, Math.min(i2, i1 + n), j1, Math.min(j2, j1 + n)]);
      groups.push(group);
      group = [];
      group.push(['equal', Math.max(i1, i2 - n), i2, Math.max(j1, j2 - n), j2]);
      continue;
    }
    group.push([tag, i1, i2, j1, j2]);
  }
  if (group.length > 0 && !(group.length === 1 && (group[0] as Opcode)[0] === 'equal')) groups.push(group);
  c = [];
  return groups;
}

function range(start: number, stop: number): string {
  let beginning = start + 1;
  const length = stop - start;
  if (length === 1) return `${beginning}`;
  if (length === 0) beginning -= 1;
  return `${beginning},${length}`;
}

/** The unified diff from `want` to `got` (go-difflib's GetUnifiedDiffString, context 1). */
export function unifiedDiff(
  want: string,
  got: string,
  fromFile = 'test',
  toFile = 'actual',
  context = 1,
): string {
  const a = splitLines(want);
  const b = splitLines(got);
  let out = '';
  let started = false;
  for (const group of groupedOpcodes(opcodes(a, b), context)) {
    if (!started) {
      out += `--- ${fromFile}\n+++ ${toFile}\n`;
      started = true;
    }
    const first = group[0] as Opcode;
    const last = group[group.length - 1] as Opcode;
    out += `@@ -${range(first[1], last[2])} +${range(first[3], last[4])} @@\n`;
    for (const [tag, i1, i2, j1, j2] of group) {
      if (tag === 'equal') {
        for (const line of a.slice(i1, i2)) out += ` ${line}`;
        continue;
      }
      if (tag === 'replace' || tag === 'delete') for (const line of a.slice(i1, i2)) out += `-${line}`;
      if (tag === 'replace' || tag === 'insert') for (const line of b.slice(j1, j2)) out += `+${line}`;
    }
  }
  return out;
}
