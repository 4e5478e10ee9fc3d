import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinRecipes, loadRecipe } from './registry.js';
import { expand, templateValues } from './template.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('recipes', () => {
  it('ships the sysext-bakery favourites, all valid, every download checksummed or pin-able', () => {
    const names = builtinRecipes().map((r) => r.name);
    expect(names).toEqual([
      'docker',
      'containerd',
      'kubernetes',
      'k3s',
      'wasmtime',
      'tailscale',
      'docker-compose',
    ]);
    for (const r of builtinRecipes()) {
      for (const arch of r.arches) {
        const v = templateValues(r, { version: r.versions.example, arch });
        for (const d of r.downloads) expect(expand(d.url, v, 'url')).toMatch(/^https:\/\/[a-z0-9.-]+\//);
      }
    }
  });

  it('expands templates, URL-encodes k3s versions and lets --base-url replace every source', async () => {
    const { recipe } = await loadRecipe('k3s');
    const v = templateValues(recipe, {
      version: 'v1.29.2+k3s1',
      arch: 'arm64',
      baseUrl: 'http://127.0.0.1:9/m/',
    });
    expect(expand(recipe.downloads[0]!.url, v, 'url')).toBe(
      'http://127.0.0.1:9/m/k3s-io/k3s/releases/download/v1.29.2%2Bk3s1/k3s-arm64',
    );
    expect(() => expand('{nope}', v, 'x.url')).toThrow(/x.url: unknown placeholder \{nope\}/);
    expect(() => templateValues(recipe, { version: '1', arch: 'x86-64', params: { runc: '1' } })).toThrow(
      /no parameter "runc"/,
    );
    expect((await loadRecipe('docker_compose')).recipe.name).toBe('docker-compose');
  });

  it('loads YAML recipes and names the file and field of a mistake', async () => {
    const d = await mkdtemp(join(tmpdir(), 'bakery-recipe-'));
    dirs.push(d);
    const good = join(d, 'jq.yaml');
    await writeFile(
      good,
      'name: jq\ndescription: jq\nversions: {example: "1.7"}\nsources: {gh: "https://github.com"}\ndownloads:\n  - id: jq\n    url: "{source.gh}/jqlang/jq/releases/download/jq-{version}/jq-linux-amd64"\nfiles:\n  - {from: jq, to: usr/bin/jq, mode: "0755"}\n',
    );
    expect((await loadRecipe(good)).recipe).toMatchObject({
      name: 'jq',
      arches: ['x86-64', 'arm64'],
      reloadManager: true,
    });
    const bad = join(d, 'bad.yaml');
    await writeFile(
      bad,
      'name: jq\ndescription: jq\nversions: {example: "1.7"}\ndownloads: [{id: jq, url: x}]\nfiles: [{from: other, to: usr/bin/jq}]\n',
    );
    await expect(loadRecipe(bad)).rejects.toThrow(/bad.yaml: files: from "other" names no download/);
    const worse = join(d, 'worse.yaml');
    await writeFile(worse, 'name: jq\ndownloads: []\n');
    await expect(loadRecipe(worse)).rejects.toMatchObject({ code: 'RECIPE_INVALID', exitCode: 2 });
    await expect(loadRecipe(worse)).rejects.toThrow(/description/);
    const err = (await loadRecipe('nosuch').catch((e: unknown) => e)) as { code: string; hint: string };
    expect(err.code).toBe('RECIPE_NOT_FOUND');
    expect(err.hint).toContain('built-in recipes: docker, containerd');
  });
});
