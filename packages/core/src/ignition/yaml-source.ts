// Parses YAML/JSON text into a document with line positions, the way Butane's YAML library
// reads it: YAML 1.2 core schema, plus legacy octal (0644) so file modes work as users write them.
import type { Document, LineCounter, ScalarTag } from 'yaml';
import { newLineCounter, parseDocument } from './yaml-lazy.js';
import type { ProblemList } from './problems.js';

// go-yaml v3 (Butane's parser) still reads 0644 as octal; YAML 1.2 core would read 644.
const LEGACY_OCTAL: ScalarTag = {
  identify: (v) => typeof v === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:int',
  format: 'OCT',
  test: /^[-+]?0[0-7]+$/,
  resolve: (s) => parseInt(s, 8),
};

/** A parsed document and the line counter that maps offsets to line:column. */
export interface ParsedSource {
  doc: Document;
  lineCounter: LineCounter;
}

/**
 * Parse `text`; syntax errors go into `problems` (code IGNITION_YAML_SYNTAX or, for JSON,
 * IGNITION_JSON_SYNTAX) and the document is returned only when there were none.
 */
export function parseSource(
  text: string,
  problems: ProblemList,
  kind: 'yaml' | 'json',
): ParsedSource | undefined {
  const lineCounter = newLineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: kind === 'yaml',
    customTags: kind === 'yaml' ? (tags) => [LEGACY_OCTAL, ...tags] : undefined,
    schema: kind === 'yaml' ? 'core' : 'json',
    keepSourceTokens: false,
    // keep `<<` as a plain key: the walker applies merges itself so it can still point at lines
    merge: false,
  });
  const code = kind === 'yaml' ? 'IGNITION_YAML_SYNTAX' : 'IGNITION_JSON_SYNTAX';
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = lineCounter.linePos(e.pos[0]);
      problems.addAt(
        'error',
        code,
        pos.line,
        pos.col,
        firstLine(e.message),
        kind === 'yaml' ? 'fix the YAML syntax at that line' : 'fix the JSON syntax at that line',
      );
    }
    return undefined;
  }
  return { doc, lineCounter };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
