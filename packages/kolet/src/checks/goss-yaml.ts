// YAML as goss reads it (gopkg.in/yaml.v3 into `any`): the YAML 1.2 core schema, except that
// integers keep yaml.v3's extras — a leading 0 is octal (`0644` is 420), underscores are
// allowed (`1_000`) — so numbers in a spec and in --vars mean what they mean to goss.
import {
  parseDocument,
  type DocumentOptions,
  type ParseOptions,
  type SchemaOptions,
  type ScalarTag,
} from 'yaml';

const octalInt: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  test: /^[-+]?0[0-7_]+$/,
  resolve: (src) => {
    const neg = src.startsWith('-');
    const n = parseInt(src.replace(/^[-+]/, '').replace(/_/g, ''), 8);
    return neg ? -n : n;
  },
};

const underscoreInt: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  test: /^[-+]?[0-9][0-9_]*_[0-9_]*$/,
  resolve: (src) => Number(src.replace(/_/g, '')),
};

/** Options for `yaml`'s parseDocument that read scalars as goss's YAML library does. */
const GOSS_YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  prettyErrors: false,
  uniqueKeys: true,
  customTags: (tags) => [octalInt, underscoreInt, ...tags],
};

/** Parse YAML text as goss does; the `yaml` Document, with its errors. */
export function parseGossYaml(text: string, extra: ParseOptions = {}): ReturnType<typeof parseDocument> {
  return parseDocument(text, { ...GOSS_YAML_OPTIONS, ...extra });
}
