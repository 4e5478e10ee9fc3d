// The signed build tree the release tests publish from: a temp dir holding a throwaway gpg key
// (public part in key.asc, the spec's verifyKey) and an artifacts folder each test file fills;
// every version gets a copy of those artifacts and its own version.txt, as a build leaves them.
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeGpgKey, type GpgKey } from '@mantle/test-utils/gpg';

export interface ReleaseWorkspace {
  dir: string;
  key: GpgKey;
  /** empty; the test file writes and signs its artifacts here */
  artifacts: string;
}

/** A temp dir with a builds signing key (public part in `key.asc`) and an empty artifacts folder. */
export async function makeReleaseWorkspace(prefix: string): Promise<ReleaseWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const key = await makeGpgKey('Plume Builds <builds@example.invalid>');
  await writeFile(join(dir, 'key.asc'), key.armoredPublicKey);
  const artifacts = join(dir, 'artifacts');
  await mkdir(artifacts);
  return { dir, key, artifacts };
}

/** A build in `buildDir`: the signed artifacts and a version.txt saying `versionTxt`. */
export async function makeBuild(buildDir: string, artifacts: string, versionTxt: string): Promise<void> {
  await mkdir(buildDir, { recursive: true });
  await cp(artifacts, buildDir, { recursive: true });
  await writeFile(join(buildDir, 'version.txt'), `FLATCAR_VERSION=${versionTxt}\nFLATCAR_BUILD_ID=test\n`);
}
