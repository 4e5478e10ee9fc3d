// YAML text → plain value, plus the file and line each key came from, so an error about a merged
// flake can still name the file and line the bad value was written on.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

/** Where a key (or list item) was written. */
interface Origin {
  file: string;
  line: number;
}

/** A key path inside a flake: map keys and list indexes. */
export type KeyPath = readonly (string | number)[];

/** key path → origin; the empty path is the document itself. */
export type Origins = Map<string, Origin>;

export const pathKey = (path: KeyPath): string => JSON.stringify(path);

/** `container.runtime.podman[2]` */
export function dottedPath(path: KeyPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(top level)';
}

export interface ParsedYaml {
  value: unknown;
  origins: Origins;
  /** syntax errors: line and message */
  errors: { line: number; message: string }[];
}

/**
 * Parse one YAML file. YAML 1.2 core schema (as yaml-rust/serde_yaml read flakes: `yes` is a
 * string, not a boolean); a repeated key keeps its last value, as yaml-rust does.
 */
export function parseYamlWithOrigins(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
    schema: 'core',
    merge: true,
  });
  const errors = doc.errors.map((e) => ({
    line: lineCounter.linePos(e.pos[0]).line,
    message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
  }));
  if (errors.length > 0) return { value: undefined, origins: new Map(), errors };
  const origins: Origins = new Map();
  const lineOf = (node: { range?: readonly number[] | null } | null | undefined): number =>
    node?.range ? lineCounter.linePos(node.range[0]!).line : 1;
  origins.set(pathKey([]), { file, line: 1 });
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isAlias(node)) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const child = [...path, key];
        origins.set(pathKey(child), { file, line: lineOf(pair.key as Node) });
        walk(pair.value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const child = [...path, i];
        origins.set(pathKey(child), { file, line: lineOf(item as Node) });
        walk(item, child);
      });
    }
  };
  walk(doc.contents, []);
  return { value: doc.toJS({ maxAliasCount: 100 }) as unknown, origins, errors };
}
