// What `npm install` of a tool that does not need the cloud really pulls: the packed tarballs
// of @mantle/core and kolet (and of core and pilot), installed with the real npm from the
// registry into an empty prefix, exactly as a user installs them. core holds no object storage
// and no cloud SDK (those live in @mantle/ore), so neither install may contain an @aws-sdk,
// @smithy, @google-cloud or @azure package. Measured when object storage moved out of core
// (npm ls --all --parseable, the root not counted): core + kolet 190 packages before, 54 after;
// core + pilot 190 before, 54 after. Needs the built dist/ of core, kolet and pilot (pnpm build)
// and the npm registry.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const packages = fileURLToPath(new URL('../..', import.meta.url));
const CLOUD_SCOPES = ['@aws-sdk', '@smithy', '@google-cloud', '@azure'];
// 54 today; the rest is headroom for a small new dependency, not for another SDK.
const MAX_PACKAGES = 60;

let work: string;
const tarballs: Record<string, string> = {};

async function pack(name: string): Promise<string> {
  const dest = join(work, 'packs');
  await mkdir(dest, { recursive: true });
  const { stdout } = await exec('pnpm', ['pack', '--pack-destination', dest], {
    cwd: join(packages, name),
    maxBuffer: 16 << 20,
  });
  const file = stdout.trim().split('\n').pop() ?? '';
  expect(file).toMatch(/\.tgz$/);
  return file;
}

/** npm-install the tarballs into a fresh prefix; the installed package paths (root excluded). */
async function install(label: string, files: string[]): Promise<string[]> {
  const prefix = join(work, label);
  await mkdir(prefix);
  await writeFile(
    join(prefix, 'package.json'),
    JSON.stringify({ name: label, version: '1.0.0', private: true }),
  );
  // No install scripts: the count is what matters, not ssh2's optional native build.
  await exec(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', ...files],
    {
      cwd: prefix,
      maxBuffer: 16 << 20,
    },
  );
  const { stdout } = await exec('npm', ['ls', '--all', '--parseable'], { cwd: prefix, maxBuffer: 16 << 20 });
  return stdout
    .split('\n')
    .filter((l) => l.includes('/node_modules/'))
    .map((l) => l.slice(l.lastIndexOf('/node_modules/') + '/node_modules/'.length));
}

async function cloudPackages(prefix: string): Promise<string[]> {
  const top = await readdir(join(work, prefix, 'node_modules'));
  return top.filter((d) => CLOUD_SCOPES.includes(d));
}

describe('npm install of core with a tool that needs no cloud', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mantle-footprint-'));
    for (const name of ['core', 'kolet', 'pilot']) tarballs[name] = await pack(name);
  }, 300_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const tool of ['kolet', 'pilot']) {
    it(`core + ${tool}: no cloud SDK and fewer than ${MAX_PACKAGES} packages`, async () => {
      const installed = await install(`core-${tool}`, [tarballs.core!, tarballs[tool]!]);
      process.stderr.write(
        `install footprint: @mantle/core + @mantle/${tool}: ${installed.length} packages\n`,
      );
      expect(installed).toContain('@mantle/core');
      expect(installed).toContain(`@mantle/${tool}`);
      expect(installed.filter((p) => CLOUD_SCOPES.some((s) => p.startsWith(`${s}/`)))).toEqual([]);
      expect(await cloudPackages(`core-${tool}`)).toEqual([]);
      expect(installed.length).toBeLessThan(MAX_PACKAGES);
    });
  }
});
