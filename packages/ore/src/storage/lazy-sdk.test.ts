import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `ore --help`, bakery's publish of a file store and every importer of @mantle/ore must stay
// fast: the cloud SDKs may only be loaded with import() at the point of use, never by a static
// import anywhere in ore's sources. And @mantle/core must not know them at all, so installing
// kolet or pilot pulls none of them.
const SDK = String.raw`(@aws-sdk\/[^'"]+|@smithy\/[^'"]+|@google-cloud\/[^'"]+|@azure\/[^'"]+)`;
const STATIC_IMPORT = new RegExp(
  String.raw`^\s*(?:import|export)\s+(?!type\b)[^;]*?from\s+['"]${SDK}['"]`,
  'm',
);
const ANY_REFERENCE = new RegExp(String.raw`['"]${SDK}['"]`);

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

async function offenders(dir: string, re: RegExp): Promise<string[]> {
  const files = await sources(dir);
  expect(files.length).toBeGreaterThan(5);
  const bad: string[] = [];
  for (const f of files) if (re.test(await readFile(f, 'utf8'))) bad.push(f);
  return bad;
}

describe('cloud SDKs load lazily', () => {
  it('no module in ore/src imports a cloud SDK statically', async () => {
    expect(await offenders(fileURLToPath(new URL('..', import.meta.url)), STATIC_IMPORT)).toEqual([]);
  });

  it('the storage backends do load them with import()', async () => {
    const here = fileURLToPath(new URL('.', import.meta.url));
    for (const [file, sdk] of [
      ['s3-store.ts', '@aws-sdk/client-s3'],
      ['gcs-store.ts', '@google-cloud/storage'],
      ['azure-store.ts', '@azure/storage-blob'],
    ] as const) {
      expect(await readFile(join(here, file), 'utf8')).toContain(`await import('${sdk}')`);
    }
  });

  it('@mantle/core neither imports nor declares a cloud SDK', async () => {
    const core = fileURLToPath(new URL('../../../core/', import.meta.url));
    expect(await offenders(join(core, 'src'), ANY_REFERENCE)).toEqual([]);
    const pkg = JSON.parse(await readFile(join(core, 'package.json'), 'utf8')) as Record<string, unknown>;
    const declared = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'].flatMap(
      (k) => Object.keys((pkg[k] as Record<string, string> | undefined) ?? {}),
    );
    expect(declared.filter((d) => ANY_REFERENCE.test(`'${d}'`))).toEqual([]);
  });
});
