// The yaml functions the Ignition/Butane code calls, loading the yaml package on first use
// (see lazy/libs.ts): same names and type guards as yaml's own exports.
import type * as Yaml from 'yaml';
import { yamlLib } from '../lazy/libs.js';

export const isMap = ((n: unknown) => yamlLib().isMap(n)) as typeof Yaml.isMap;
export const isSeq = ((n: unknown) => yamlLib().isSeq(n)) as typeof Yaml.isSeq;
export const isScalar = ((n: unknown) => yamlLib().isScalar(n)) as typeof Yaml.isScalar;
export const isPair = ((n: unknown) => yamlLib().isPair(n)) as typeof Yaml.isPair;
export const isAlias = ((n: unknown) => yamlLib().isAlias(n)) as typeof Yaml.isAlias;

export const parseDocument: typeof Yaml.parseDocument = (...args: Parameters<typeof Yaml.parseDocument>) =>
  yamlLib().parseDocument(...args);

/** `new LineCounter()` */
export function newLineCounter(): Yaml.LineCounter {
  return new (yamlLib().LineCounter)();
}

/** `new Document(value)` */
export function newDocument(value: unknown): Yaml.Document {
  return new (yamlLib().Document)(value);
}
