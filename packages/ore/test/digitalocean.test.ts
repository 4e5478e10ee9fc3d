// Integration: `ore do` (the built bin) against a local server speaking the DigitalOcean API v2
// (@mantle/test-utils/fake-digitalocean: there is no DigitalOcean emulator). The server keeps
// state and really downloads the image URL it is given, so reruns, gc and failed imports are
// real; the token comes from ~/.config/digitalocean.json as Go mantle reads it.
// Needs: pnpm --filter @mantle/core --filter @mantle/ore build
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDigitalOcean, type FakeDo } from '@mantle/test-utils/fake-digitalocean';
import { jsonError, requireOreBuild, runOre } from './helpers/ore-bin.js';

const TOKEN = 'dop_v1_0123456789abcdef0123456789abcdef';
let dir: string;
let api: FakeDo;
let env: NodeJS.ProcessEnv;

function ore(args: string[], extraEnv: NodeJS.ProcessEnv = {}): ReturnType<typeof runOre> {
  return runOre(dir, ['do', ...args], { env: { ...env, ...extraEnv } });
}

beforeAll(async () => {
  await requireOreBuild();
  dir = await mkdtemp(join(tmpdir(), 'mantle-ore-do-'));
  api = await startFakeDigitalOcean({ tokens: [TOKEN], importPolls: 2, pageSize: 1 });
  api.files.set('flatcar_production_digitalocean_image.bin.bz2', Buffer.alloc(64 * 1024, 7));
  await mkdir(join(dir, 'home', '.config'), { recursive: true });
  await writeFile(
    join(dir, 'home', '.config', 'digitalocean.json'),
    JSON.stringify({ default: { token: TOKEN }, revoked: { token: 'dop_v1_revoked' } }),
    { mode: 0o600 },
  );
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('DIGITALOCEAN')),
  );
  env = { ...clean, HOME: join(dir, 'home'), DIGITALOCEAN_API_URL: api.endpoint };
});

afterAll(async () => {
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ore do against a local DigitalOcean API v2 server', () => {
  const url = (): string => `${api.endpoint}/files/flatcar_production_digitalocean_image.bin.bz2`;
  const create = (name: string, more: string[] = []): ReturnType<typeof runOre> =>
    ore(['create-image', '--name', name, '--url', url(), '--poll-interval', '50ms', ...more]);
  let id: number;

  it('create-image imports from the URL, waits until available; throttling is retried', async () => {
    api.calls.throttle.set('images.post', 1);
    api.calls.throttle.set('images.get1', 1);
    const res = await create('flatcar-dev-1', ['--region', 'ams3', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout) as {
      image: { id: number; status: string; regions: string[]; tags: string[] };
      reused: boolean;
    };
    expect(r).toMatchObject({
      reused: false,
      image: { name: 'flatcar-dev-1', status: 'available', regions: ['ams3'] },
    });
    expect(r.image.tags).toContain('mantle');
    id = r.image.id;
    expect(api.images.get(id)).toMatchObject({ bytes: 64 * 1024, distribution: 'CoreOS' });
    expect(api.calls.get('images.post')).toBe(2);
    expect(res.stderr).not.toContain(TOKEN);
  });

  it('a rerun creates nothing and returns the same image; --copy-to transfers it (image action)', async () => {
    const before = api.calls.get('images.post');
    const res = await create('flatcar-dev-1', ['--region', 'ams3', '--copy-to', 'nyc3']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe(String(id));
    expect(api.images.get(id)!.regions).toEqual(['ams3', 'nyc3']);
    expect(api.calls.get('actions.get1')).toBeGreaterThanOrEqual(1);
    expect(api.calls.get('images.post')).toBe(before);
    expect([...api.images.values()].filter((i) => i.name === 'flatcar-dev-1')).toHaveLength(1);
  });

  it('an import that cannot download fails naming the URL (exit 1)', async () => {
    const res = await ore([
      'create-image',
      '--name',
      'flatcar-broken',
      '--url',
      `${api.endpoint}/files/nope`,
      '--poll-interval',
      '50ms',
      '--json',
    ]);
    expect(res.exitCode).toBe(1);
    expect(jsonError(res.stderr)).toMatchObject({ code: 'DO_IMAGE_IMPORT_FAILED' });
    expect(jsonError(res.stderr).message).toContain('/files/nope');
    // the failed image is removed: a rerun starts afresh
    expect([...api.images.values()].some((i) => i.name === 'flatcar-broken')).toBe(false);
  });

  it('bad inputs: unknown region, a name refused before any call, a value the API refuses, missing or refused credentials', async () => {
    const posts = api.calls.get('images.post');
    const region = await create('x-1', ['--region', 'mars1', '--json']);
    expect(region.exitCode).toBe(2);
    expect(jsonError(region.stderr)).toMatchObject({ code: 'DO_UNKNOWN_REGION' });
    expect(jsonError(region.stderr).hint).toContain('ams3');

    const regionCalls = api.calls.get('regions.get');
    const name = await create('flatcar/dev+1', ['--json']);
    expect(name.exitCode).toBe(2);
    expect(jsonError(name.stderr)).toMatchObject({ code: 'CLOUD_BAD_NAME' });
    expect(api.calls.get('regions.get')).toBe(regionCalls);

    const distro = await create('x-1', ['--distribution', 'Flatcar', '--json']);
    expect(distro.exitCode).toBe(2);
    expect(jsonError(distro.stderr)).toMatchObject({
      code: 'CLOUD_BAD_NAME',
      message: expect.stringContaining('--distribution') as unknown,
    });
    expect(api.calls.get('images.post')).toBe(posts + 1);

    const missing = await ore(['list-images', '--json'], { HOME: join(dir, 'nohome') });
    expect(missing.exitCode).toBe(3);
    expect(jsonError(missing.stderr).message).toMatch(/DigitalOcean/);
    const refused = await ore(['list-images', '--do-profile', 'revoked', '--json']);
    expect(refused.exitCode).toBe(3);
    expect(jsonError(refused.stderr)).toMatchObject({
      code: 'DO_AUTH',
      message: expect.stringContaining('"revoked"') as unknown,
    });
    expect(refused.stderr).not.toContain('dop_v1_revoked');
  });

  it('list-images --json pages through the listing; delete-image; gc of old droplets and images', async () => {
    expect((await create('flatcar-dev-3')).exitCode).toBe(0);
    const list = await ore(['list-images', '--json']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { name: string }[]).map((i) => i.name).sort()).toEqual([
      'flatcar-dev-1',
      'flatcar-dev-3',
    ]);
    const del = await ore(['delete-image', '--name', 'flatcar-dev-3', '--name', 'no-such', '--json']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(JSON.parse(del.stdout)).toEqual({ deleted: ['flatcar-dev-3'], missing: ['no-such'] });

    const old = new Date(Date.now() - 10 * 3600_000).toISOString();
    api.images.get(id)!.created_at = old;
    const now = new Date().toISOString();
    const kept = api.addDroplet({ name: 'kola-new', status: 'active', created_at: now, tags: ['mantle'] });
    const gone = api.addDroplet({ name: 'kola-old', status: 'active', created_at: old, tags: ['mantle'] });
    const foreign = api.addDroplet({ name: 'theirs', status: 'active', created_at: old, tags: [] });
    const gc = await ore(['gc', '--older-than', '5h', '--json']);
    expect(gc.exitCode, gc.stderr).toBe(0);
    const r = JSON.parse(gc.stdout) as { droplets: { name: string }[]; images: { name: string }[] };
    expect(r.droplets.map((d) => d.name)).toEqual(['kola-old']);
    expect(r.images.map((i) => i.name)).toEqual(['flatcar-dev-1']);
    expect([...api.droplets.keys()].sort()).toEqual([kept.id, foreign.id].sort());
    expect(api.droplets.has(gone.id)).toBe(false);
    expect(api.images.has(id)).toBe(false);
  });
});
