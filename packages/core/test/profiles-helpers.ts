import { chmod, cp, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The credential fixture trees (`good`, `bad`, `keys`). */
const PROFILE_FIXTURES = fileURLToPath(new URL('./fixtures/profiles/', import.meta.url));

/** Every secret in the fixtures contains this marker, so "no secret leaked" is one regex. */
export const SECRET_MARKER = /s3cr3t/;

/** Full access key ids of the fixtures: only their last 4 characters may ever be shown. */
export const FIXTURE_KEY_IDS = [
  'AKIAFIXTUREDEFAWXYZ',
  'AKIAFIXTURECIQQ1234',
  'AKIAFIXTUREDOT99DOTS',
  'AKIAFIXTUREBADXWXYZ',
];

// Fixture files end in `.in` so formatters leave the deliberately broken ones alone.
async function stripIn(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await stripIn(p);
    else {
      const target = e.name.endsWith('.in') ? p.slice(0, -3) : p;
      if (target !== p) await rename(p, target);
      await chmod(target, 0o600);
    }
  }
}

/** A temp HOME holding a copy of a fixture tree (`good`, `bad`) or nothing; remove it with `rm`. */
export async function makeHome(kind: 'good' | 'bad' | 'empty'): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), `mantle-profiles-${kind}-`));
  if (kind !== 'empty') {
    await cp(join(PROFILE_FIXTURES, kind), home, { recursive: true });
    await stripIn(home);
  }
  return home;
}

/** Copy the service-account key fixtures into a directory; returns it. */
export async function copyKeys(into: string): Promise<string> {
  const dir = join(into, 'keys');
  await cp(join(PROFILE_FIXTURES, 'keys'), dir, { recursive: true });
  await stripIn(dir);
  return dir;
}

/** Remove temp homes. */
export async function removeAll(dirs: string[]): Promise<void> {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}
