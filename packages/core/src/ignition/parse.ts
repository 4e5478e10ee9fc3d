// Reading and validating Ignition JSON (spec 3.0.0–3.4.0).
import type { Document, LineCounter, Node, Pair } from 'yaml';
import { isMap, isScalar, newDocument, newLineCounter } from './yaml-lazy.js';
import { canonicalize } from './canonical.js';
import { ProblemList, type IgnitionProblem } from './problems.js';
import { CONFIG_TYPE } from './schema.js';
import { checkSemantics } from './semantics.js';
import type { IgnitionConfig } from './types.js';
import { IGNITION_VERSIONS, ignitionMinor, isIgnitionVersion, type IgnitionMinor } from './versions.js';
import { walkDocument } from './walk.js';
import { parseSource } from './yaml-source.js';

/** Options of parseIgnition and validateIgnition. */
export interface IgnitionCheckOptions {
  /** file name used in messages */
  source?: string;
  /** treat warnings as errors */
  strict?: boolean;
  /** unknown keys are errors (default) or, when false, warnings — Ignition itself only warns */
  rejectUnknownKeys?: boolean;
  /** every remote source (not a data: URL) must carry verification.hash */
  requireRemoteHash?: boolean;
}

/** A validated config and the warnings found on the way. */
export interface IgnitionResult {
  config: IgnitionConfig;
  warnings: string[];
}

/** Parse and validate Ignition JSON text; throws InputError (IGNITION_*) naming line and JSON path. */
export function parseIgnition(jsonText: string, opts: IgnitionCheckOptions = {}): IgnitionResult {
  const problems = new ProblemList(opts.source);
  let jsonError: Error | undefined;
  try {
    JSON.parse(jsonText);
  } catch (err) {
    jsonError = err as Error;
  }
  const parsed = parseSource(jsonText, problems, 'json');
  if (jsonError && parsed) {
    // JSON.parse refused what YAML's flow syntax accepted (unquoted keys, comments, ...).
    const m = /at position (\d+)/.exec(jsonError.message);
    const pos = m ? parsed.lineCounter.linePos(Number(m[1])) : undefined;
    if (pos)
      problems.addAt(
        'error',
        'IGNITION_JSON_SYNTAX',
        pos.line,
        pos.col,
        jsonError.message,
        'fix the JSON syntax at that line',
      );
    else
      problems.error(
        'IGNITION_JSON_SYNTAX',
        [],
        `not valid JSON: ${jsonError.message}`,
        'an Ignition config is one JSON object',
      );
  }
  if (!parsed || jsonError) {
    if (!problems.hasErrors())
      problems.error('IGNITION_JSON_SYNTAX', [], `not valid JSON: ${jsonError?.message ?? 'unreadable'}`);
    problems.throwIfErrors(false, 'Ignition config');
  }
  const config = checkDocument(parsed!.doc, parsed!.lineCounter, problems, opts);
  problems.throwIfErrors(opts.strict ?? false, 'Ignition config');
  return { config: config!, warnings: problems.warningLines() };
}

/** Every problem of an Ignition config object (structure, version gates, semantics), without throwing. */
export function findIgnitionProblems(config: unknown, opts: IgnitionCheckOptions = {}): IgnitionProblem[] {
  const problems = new ProblemList(opts.source);
  // A Document built from the object gives the walker the same node tree a parsed file has.
  checkDocument(newDocument(config), newLineCounter(), problems, opts);
  return problems.items;
}

/** Validate an Ignition config object; throws InputError listing every error, returns the warnings. */
export function validateIgnition(config: unknown, opts: IgnitionCheckOptions = {}): { warnings: string[] } {
  const problems = new ProblemList(opts.source);
  checkDocument(newDocument(config), newLineCounter(), problems, opts);
  problems.throwIfErrors(opts.strict ?? false, 'Ignition config');
  return { warnings: problems.warningLines() };
}

function checkDocument(
  doc: Document,
  lineCounter: LineCounter,
  problems: ProblemList,
  opts: IgnitionCheckOptions,
): IgnitionConfig | undefined {
  const minor = readVersion(doc, lineCounter, problems);
  if (minor === undefined) return undefined;
  const out = walkDocument(
    {
      mode: 'ignition',
      minor,
      problems,
      doc,
      lineCounter,
      unknownKeysAreErrors: opts.rejectUnknownKeys ?? false,
    },
    CONFIG_TYPE,
  );
  if (!out) return undefined;
  const config = canonicalize(out) as IgnitionConfig;
  if (!problems.hasErrors())
    checkSemantics(config, minor, problems, { requireRemoteHash: opts.requireRemoteHash });
  return config;
}

function readVersion(
  doc: Document,
  lineCounter: LineCounter,
  problems: ProblemList,
): IgnitionMinor | undefined {
  const root = doc.contents;
  const at = (node: Node | null | undefined, path: string[]): void => {
    const off = node?.range?.[0];
    if (off === undefined) return;
    const pos = lineCounter.linePos(off);
    problems.locate(path, { line: pos.line, column: pos.col, display: path.join('.') || '(top level)' });
  };
  at(root, []);
  if (!root || !isMap(root)) {
    problems.error(
      'IGNITION_TYPE',
      [],
      'an Ignition config is a JSON object',
      'start with {"ignition": {"version": "3.3.0"}}',
    );
    return undefined;
  }
  const find = (map: Node, key: string): Pair | undefined =>
    isMap(map) ? map.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
  const ign = find(root, 'ignition');
  const ignNode = ign?.value as Node | null | undefined;
  at(ignNode ?? (ign?.key as Node | undefined), ['ignition']);
  const ver = ignNode ? find(ignNode, 'version') : undefined;
  const verNode = ver?.value as Node | null | undefined;
  at(verNode ?? (ver?.key as Node | undefined), ['ignition', 'version']);
  const version = verNode && isScalar(verNode) ? verNode.value : undefined;
  const hint = `set "ignition": {"version": "3.3.0"} (mantle reads ${IGNITION_VERSIONS.join(', ')})`;
  if (version === undefined) {
    problems.error('IGNITION_VERSION', ign ? ['ignition'] : [], 'missing ignition.version', hint);
    return undefined;
  }
  if (typeof version === 'string' && /^2\./.test(version)) {
    problems.error(
      'IGNITION_VERSION',
      ['ignition', 'version'],
      `Ignition spec ${version} is the old 2.x format`,
      'translate it to 3.x (e.g. with ign-converter) or write Butane',
    );
    return undefined;
  }
  if (!isIgnitionVersion(version)) {
    problems.error(
      'IGNITION_VERSION',
      ['ignition', 'version'],
      `unsupported Ignition version ${JSON.stringify(version)}`,
      hint,
    );
    return undefined;
  }
  return ignitionMinor(version);
}
