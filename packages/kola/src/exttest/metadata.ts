import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InputError, errorMessage } from '@mantle/core/errors';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TEST_FLAGS } from '../registry/flags.js';

/**
 * External test metadata, as coreos-assembler's kola.json plus what mantle tests need. Lists
 * (platforms, distros, architectures, tags) are arrays or, as in cosa, one whitespace-separated
 * string; a leading `!` on cosa's string form (or on an array item) means "all except".
 */
const words = z.union([z.string(), z.array(z.string().min(1))]);

// coreos-assembler keys kola understands but does not act on (yet): accepted with a warning so
// metadata written for cosa loads unchanged.
export const IGNORED_COSA_KEYS = [
  'requiredTag',
  'exclusive',
  'conflicts',
  'additionalDisks',
  'primaryDisk',
  'minMemory',
  'minDisk',
  'additionalNics',
  'appendKernelArgs',
  'appendFirstbootKernelArgs',
  'injectContainer',
  'isOSUpdateTest',
] as const;

const testFields = {
  /** replaces the default name `ext.<dir>.<file>` */
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  /** machines booted for the test (the executable runs on the first; default 1) */
  clusterSize: z.number().int().min(1).max(16).optional(),
  platforms: words.optional(),
  distros: words.optional(),
  architectures: words.optional(),
  tags: words.optional(),
  /** a duration such as '10m' or '90s' (covers boot and run; default 10m) */
  timeout: z
    .string()
    .regex(
      /^\s*\d+(\.\d+)?(ms|s|m|h)(\d+(\.\d+)?(ms|s|m|h))*\s*$/,
      "a duration such as '10m', '90s' or '1h30m'",
    )
    .optional(),
  /** cosa's spelling of the timeout, in minutes */
  timeoutMin: z.number().positive().optional(),
  /** Butane YAML or Ignition JSON text for the machines (config.bu / config.ign in the directory otherwise) */
  userData: z.string().min(1).optional(),
  /** a check spec: a file relative to the directory, YAML text (several lines), or a mapping */
  checks: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  flags: z.array(z.enum(TEST_FLAGS)).optional(),
  ...Object.fromEntries(IGNORED_COSA_KEYS.map((k) => [k, z.unknown().optional()])),
};

const TestMetadataSchema = z.strictObject(testFields);
/** A directory's kola.json / kola.yaml: test fields for every executable, plus per-file sections. */
const DirMetadataSchema = z.strictObject({
  ...testFields,
  /** per-file overrides: executable file name → test fields */
  tests: z.record(z.string().min(1), TestMetadataSchema).optional(),
});

export type TestMetadata = z.infer<typeof TestMetadataSchema>;
export type DirMetadata = z.infer<typeof DirMetadataSchema>;

/** The file names a directory's metadata may have (at most one of them). */
export const METADATA_FILES = ['kola.json', 'kola.yaml', 'kola.yml'] as const;

/** Validate parsed metadata; InputError (exit 2) naming the file and the field. */
export function validateMetadata(value: unknown, file: string, kind: 'dir' | 'inline'): DirMetadata {
  const r = (kind === 'dir' ? DirMetadataSchema : TestMetadataSchema).safeParse(value ?? {});
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') {
      const keys = (i as { keys?: string[] }).keys ?? [];
      const where = path ? `${path}.` : '';
      return `field '${where}${keys.join(`', '${where}`)}': unknown key (known: ${Object.keys(kind === 'dir' ? DirMetadataSchema.shape : testFields).join(', ')})`;
    }
    return `field '${path || '(top level)'}': ${i.message}`;
  });
  throw new InputError({
    code: 'EXTTEST_BAD_METADATA',
    message: `external test metadata ${file}: ${problems.join('; ')}`,
    hint: `fix ${basename(file)}: lists are arrays or whitespace-separated strings, clusterSize a number, timeout a duration such as '10m'`,
    details: { file, problems },
  });
}

/** Read and validate a directory's kola.json or kola.yaml. */
export async function readDirMetadata(file: string): Promise<DirMetadata> {
  const text = await readFile(file, 'utf8');
  let value: unknown;
  try {
    value = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new InputError({
      code: 'EXTTEST_BAD_METADATA',
      message: `external test metadata ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${errorMessage(err)}`,
      hint: `fix the syntax of ${basename(file)}`,
      cause: err,
    });
  }
  if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
    throw new InputError({
      code: 'EXTTEST_BAD_METADATA',
      message: `external test metadata ${file}: expected an object of fields, got ${Array.isArray(value) ? 'an array' : typeof value}`,
      hint: 'write e.g. {"clusterSize": 1, "tags": "smoke"}',
    });
  }
  return validateMetadata(value, file, 'dir');
}

const INLINE_JSON = /^# kola: (.*)$/m;
const INLINE_YAML_START = /^## kola:[ \t]*$/m;

/**
 * Metadata written inside a script, as coreos-assembler reads it: one line `# kola: {json}`, or
 * a `## kola:` line followed by YAML lines each starting with `## `. Undefined when there is none
 * (binaries are not searched).
 */
export function parseInlineMetadata(content: Buffer, file: string): TestMetadata | undefined {
  const head = content.subarray(0, 64 * 1024);
  if (head.subarray(0, 8192).includes(0)) return undefined;
  const text = head.toString('utf8');
  const json = INLINE_JSON.exec(text);
  const yamlStart = INLINE_YAML_START.exec(text);
  if (!json && !yamlStart) return undefined;
  let value: unknown;
  try {
    if (json) value = JSON.parse(json[1] ?? '');
    else {
      const lines: string[] = [];
      for (const line of text
        .slice((yamlStart?.index ?? 0) + (yamlStart?.[0].length ?? 0))
        .split('\n')
        .slice(1)) {
        if (line.startsWith('## ')) lines.push(line.slice(3));
        else if (line === '##') lines.push('');
        else break;
      }
      value = parseYaml(lines.join('\n'));
    }
  } catch (err) {
    throw new InputError({
      code: 'EXTTEST_BAD_METADATA',
      message: `external test metadata in ${file} (${json ? "'# kola:' line" : "'## kola:' block"}) does not parse: ${errorMessage(err)}`,
      hint: "'# kola: ' takes one line of JSON; '## kola:' takes the following '## ' lines as YAML",
      cause: err,
    });
  }
  return validateMetadata(value, `${file} (inline)`, 'inline');
}

/** A list field split into allowed and excluded values. */
export function splitWords(value: string | string[] | undefined): { allow: string[]; deny: string[] } {
  if (value === undefined) return { allow: [], deny: [] };
  const items = typeof value === 'string' ? value.trim().split(/\s+/).filter(Boolean) : value;
  // cosa: a `!` at the front of the string excludes every listed value.
  const allNegated = typeof value === 'string' && value.trim().startsWith('!');
  const allow: string[] = [];
  const deny: string[] = [];
  for (const raw of items) {
    const negated = allNegated || raw.startsWith('!');
    const v = raw.replace(/^!/, '');
    if (v) (negated ? deny : allow).push(v);
  }
  return { allow, deny };
}
