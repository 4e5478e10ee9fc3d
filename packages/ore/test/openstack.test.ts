// Integration: `ore openstack` (the built bin) against a local server speaking OpenStack's
// Identity v3 (Keystone), Image v2 (Glance) and Compute v2.1 (Nova) APIs
// (@mantle/test-utils/fake-openstack: no DevStack here). The server keeps state (image states,
// uploaded bytes, md5 checksums), so reruns, interrupted uploads and gc are real; the login comes
// from ~/.config/openstack.json as Go mantle reads it; the disk is a qcow2 qemu-img made.
// Needs: pnpm --filter @mantle/core --filter @mantle/ore build
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '@mantle/core/exec';
import { freePort } from '@mantle/test-utils/free-port';
import { startFakeOpenStack, type FakeOpenStack } from '@mantle/test-utils/fake-openstack';
import { jsonError, ORE_BIN, requireOreBuild, runOre } from './helpers/ore-bin.js';

const PASSWORD = 'hunter2-openstack-secret';
let dir: string;
let os: FakeOpenStack;
let env: NodeJS.ProcessEnv;

function ore(args: string[], extraEnv: NodeJS.ProcessEnv = {}): ReturnType<typeof runOre> {
  return runOre(dir, ['openstack', ...args], { env: { ...env, ...extraEnv } });
}

const named = (name: string): string[] =>
  [...os.images.values()].filter((i) => i.name === name).map((i) => i.status);

beforeAll(async () => {
  await requireOreBuild();
  dir = await mkdtemp(join(tmpdir(), 'mantle-ore-openstack-'));
  os = await startFakeOpenStack({
    user: { name: 'ci', password: PASSWORD, project: 'flatcar' },
    regions: ['RegionOne', 'RegionTwo'],
    pageSize: 1,
  });
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'flatcar.img'), '64M']);
  await writeFile(join(dir, 'other.img'), Buffer.alloc(1024 * 1024, 1));
  await mkdir(join(dir, 'home', '.config'), { recursive: true });
  const profile = { auth_url: os.authUrl, username: 'ci', password: PASSWORD, tenant_name: 'flatcar' };
  await writeFile(
    join(dir, 'home', '.config', 'openstack.json'),
    JSON.stringify({
      default: { ...profile, region_name: 'RegionOne' },
      anywhere: profile,
      wrong: { ...profile, password: 'not-it' },
    }),
    { mode: 0o600 },
  );
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));
  env = { ...clean, HOME: join(dir, 'home') };
});

afterAll(async () => {
  await os?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ore openstack against local Keystone v3 / Glance v2 / Nova servers', () => {
  const create = (file: string, name: string, more: string[] = []): ReturnType<typeof runOre> =>
    ore(['create-image', '--file', file, '--name', name, '--poll-interval', '50ms', ...more]);
  let id: string;

  it('create-image logs in, creates, uploads, waits until active; throttling is retried', async () => {
    os.calls.throttle.set('images.create', 1);
    os.calls.throttle.set('images.upload', 1);
    const res = await create('flatcar.img', 'flatcar-dev-1', ['--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout) as { image: { id: string }; uploaded: boolean; region: string };
    expect(r).toMatchObject({
      uploaded: true,
      region: 'RegionOne',
      image: { name: 'flatcar-dev-1', status: 'active', diskFormat: 'qcow2', tags: ['mantle'] },
    });
    id = r.image.id;
    const img = os.images.get(id)!;
    expect(img.data!.equals(await readFile(join(dir, 'flatcar.img')))).toBe(true);
    expect(img).toMatchObject({ container_format: 'bare', visibility: 'private' });
    expect(os.calls.get('images.create')).toBe(2);
    expect(res.stderr).not.toContain(PASSWORD);
  });

  it('a rerun uploads nothing and prints the same id; other bytes under that name are refused', async () => {
    const uploads = os.calls.get('images.upload');
    const res = await create('flatcar.img', 'flatcar-dev-1');
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe(id);
    expect(os.calls.get('images.upload')).toBe(uploads);
    const other = await create('other.img', 'flatcar-dev-1', ['--json']);
    expect(other.exitCode).toBe(2);
    expect(jsonError(other.stderr)).toMatchObject({ code: 'OPENSTACK_IMAGE_EXISTS' });
    expect(named('flatcar-dev-1')).toEqual(['active']);
  });

  it('Ctrl-C during the upload exits 130 and leaves no image behind', async () => {
    os.holdUploads = true;
    try {
      const child = spawn(
        process.execPath,
        [ORE_BIN, 'openstack', 'create-image', '--file', 'other.img', '--name', 'flatcar-killed'],
        { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const started = os.calls.get('images.upload');
      while (os.calls.get('images.upload') === started && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 50));
      expect(named('flatcar-killed')).toEqual(['saving']);
      child.kill('SIGINT');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code, stderr).toBe(130);
      expect(named('flatcar-killed')).toEqual([]);
    } finally {
      os.holdUploads = false;
    }
  });

  it('create-image --file URL: web-download when Glance offers it, else downloaded and uploaded', async () => {
    const bytes = Buffer.alloc(256 * 1024, 9);
    os.files.set('flatcar_production_openstack_image.img', bytes);
    const url = `${new URL(os.authUrl).origin}/files/flatcar_production_openstack_image.img`;
    const uploads = os.calls.get('images.upload');
    const web = await create(url, 'flatcar-web-1', ['--json']);
    expect(web.exitCode, web.stderr).toBe(0);
    const r = JSON.parse(web.stdout) as { image: { id: string; status: string; diskFormat: string } };
    expect(r.image).toMatchObject({ status: 'active', diskFormat: 'raw' });
    expect(os.images.get(r.image.id)!.data!.equals(bytes)).toBe(true);
    // The cloud fetched it: nothing went through PUT .../file.
    expect(os.calls.get('images.upload')).toBe(uploads);
    const again = await create(url, 'flatcar-web-1');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(r.image.id);

    const broken = await create(`${url}.missing`, 'flatcar-web-2', ['--json']);
    expect(broken.exitCode).toBe(1);
    expect(jsonError(broken.stderr)).toMatchObject({ code: 'OPENSTACK_IMAGE_FAILED' });
    expect(named('flatcar-web-2')).toEqual([]);

    os.importMethods = ['glance-direct'];
    try {
      const down = await create(url, 'flatcar-down-1', ['--json']);
      expect(down.exitCode, down.stderr).toBe(0);
      const d = JSON.parse(down.stdout) as { image: { id: string } };
      expect(os.images.get(d.image.id)!.data!.equals(bytes)).toBe(true);
      expect(os.calls.get('images.upload')).toBe(uploads + 1);
      const missing = await create(`${url}.missing`, 'flatcar-down-2', ['--json']);
      expect(missing.exitCode).toBe(2);
      expect(jsonError(missing.stderr)).toMatchObject({ code: 'DOWNLOAD_REFUSED' });
      expect(named('flatcar-down-2')).toEqual([]);
      // Nothing listens there: final at once (no retries), exit 3 naming the flag.
      const closed = `http://127.0.0.1:${await freePort()}/flatcar.img`;
      const gone = await create(closed, 'flatcar-down-3', ['--json']);
      expect(gone.exitCode).toBe(3);
      expect(jsonError(gone.stderr)).toMatchObject({ code: 'DOWNLOAD_UNREACHABLE' });
      expect(jsonError(gone.stderr).message).toContain(`fetching --file ${closed}`);
    } finally {
      os.importMethods = ['glance-direct', 'web-download'];
    }
    const del = await ore(['delete-image', '--name', 'flatcar-web-1', '--name', 'flatcar-down-1']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(named('flatcar-web-1').concat(named('flatcar-down-1'))).toEqual([]);
  });

  it('bad inputs: unknown region, a refused name, a missing file, a refused or missing login', async () => {
    const region = await create('flatcar.img', 'x-1', ['--region', 'RegionMars', '--json']);
    expect(region.exitCode).toBe(2);
    expect(jsonError(region.stderr)).toMatchObject({ code: 'OPENSTACK_UNKNOWN_REGION' });
    expect(jsonError(region.stderr).hint).toContain('RegionTwo');
    const ambiguous = await ore(['list-images', '--openstack-profile', 'anywhere', '--json']);
    expect(ambiguous.exitCode).toBe(2);
    expect(jsonError(ambiguous.stderr)).toMatchObject({ code: 'OPENSTACK_REGION_REQUIRED' });

    const logins = os.calls.get('tokens.create');
    const name = await create('flatcar.img', ` ${'x'.repeat(300)}`, ['--json']);
    expect(name.exitCode).toBe(2);
    expect(jsonError(name.stderr)).toMatchObject({ code: 'CLOUD_BAD_NAME' });
    const file = await create('missing.img', 'x-1', ['--json']);
    expect(file.exitCode).toBe(2);
    expect(jsonError(file.stderr).message).toContain('--file');
    expect(os.calls.get('tokens.create')).toBe(logins);

    const wrong = await ore(['list-images', '--openstack-profile', 'wrong', '--json']);
    expect(wrong.exitCode).toBe(3);
    expect(jsonError(wrong.stderr)).toMatchObject({
      code: 'OPENSTACK_AUTH',
      message: expect.stringContaining('"wrong"') as unknown,
    });
    const missing = await ore(['list-images', '--json'], { HOME: join(dir, 'nohome') });
    expect(missing.exitCode).toBe(3);
    expect(jsonError(missing.stderr).message).toMatch(/OpenStack/);
  });

  it('list-images --json pages through the listing; delete-image; gc of old servers and images', async () => {
    expect((await create('other.img', 'flatcar-dev-2')).exitCode).toBe(0);
    const list = await ore(['list-images', '--json']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { name: string }[]).map((i) => i.name).sort()).toEqual([
      'flatcar-dev-1',
      'flatcar-dev-2',
    ]);
    const del = await ore(['delete-image', '--name', 'flatcar-dev-2', '--name', 'no-such', '--json']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(JSON.parse(del.stdout)).toMatchObject({ missing: ['no-such'] });
    expect(named('flatcar-dev-2')).toEqual([]);

    const old = new Date(Date.now() - 10 * 3600_000).toISOString();
    os.images.get(id)!.created_at = old;
    const now = new Date().toISOString();
    const meta = { CreatedBy: 'mantle' };
    const kept = os.addServer({ name: 'kola-new', status: 'ACTIVE', created: now, metadata: meta });
    os.addServer({ name: 'kola-old', status: 'ACTIVE', created: old, metadata: meta });
    const foreign = os.addServer({ name: 'theirs', status: 'ACTIVE', created: old, metadata: {} });
    const gc = await ore(['gc', '--older-than', '5h', '--json']);
    expect(gc.exitCode, gc.stderr).toBe(0);
    const r = JSON.parse(gc.stdout) as { servers: { name: string }[]; images: { name: string }[] };
    expect(r.servers.map((s) => s.name)).toEqual(['kola-old']);
    expect(r.images.map((i) => i.name)).toEqual(['flatcar-dev-1']);
    expect([...os.servers.keys()].sort()).toEqual([kept.id, foreign.id].sort());
    expect(os.images.has(id)).toBe(false);
  });
});
