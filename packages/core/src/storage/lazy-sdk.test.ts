import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Importing @mantle/core must stay fast: the cloud SDKs may only be loaded with import() at the
// point of use, never by a static import anywhere in core's sources.
const HEAVY =
  /^\s*import\s+(?!type\b)[^;]*?from\s+['"](@aws-sdk\/[^'"]+|@google-cloud\/storage|@azure\/storage-blob)['"]/m;
const EXPORT_FROM =
  /^\s*export\s+(?!type\b)[^;]*?from\s+['"](@aws-sdk\/[^'"]+|@google-cloud\/storage|@azure\/storage-blob)['"]/m;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

describe('cloud SDKs load lazily', () => {
  it('no module in core/src imports @aws-sdk, @google-cloud/storage or @azure/storage-blob statically', async () => {
    const src = fileURLToPath(new URL('..', import.meta.url));
    const files = await sources(src);
    expect(files.length).toBeGreaterThan(5);
    const offenders: string[] = [];
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      if (HEAVY.test(text) || EXPORT_FROM.test(text)) offenders.push(f);
    }
    expect(offenders).toEqual([]);
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
});
