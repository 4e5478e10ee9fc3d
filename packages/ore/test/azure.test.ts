// Integration: `ore azure upload-blob` (the built bin) with the real @azure/storage-blob client
// against Azurite (a real Azure Blob emulator, started with --disableTelemetry), reached through
// the az CLI's AZURE_STORAGE_CONNECTION_STRING.
// Needs: pnpm --filter @mantle/core --filter @mantle/ore build
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  azuriteService,
  startAzurite,
  type AzuriteHandle,
} from '@mantle/test-utils/azurite';
import { jsonError, requireOreBuild, runOre } from './helpers/ore-bin.js';

const MIB = 1024 * 1024;
const DISK_SIZE = 24 * MIB;

let dir: string;
let azurite: AzuriteHandle;
let env: NodeJS.ProcessEnv;
let disk: Buffer;

function ore(args: string[], extraEnv: NodeJS.ProcessEnv = {}): ReturnType<typeof runOre> {
  return runOre(dir, ['azure', ...args], { env: { ...env, ...extraEnv } });
}

async function blobBytes(name: string): Promise<Buffer> {
  const c = (await azuriteService(azurite)).getContainerClient('vhds');
  return c.getBlobClient(name).downloadToBuffer();
}

async function makeDisk(name: string, seed: number): Promise<Buffer> {
  const d = Buffer.alloc(DISK_SIZE);
  for (const at of [0, 5 * MIB, 17 * MIB + 4096]) d.fill(seed, at + 512, at + 300_000);
  d.fill(0, 446, 510);
  d[510] = 0x55;
  d[511] = 0xaa;
  const fh = await open(join(dir, name), 'w');
  try {
    await fh.write(d, 0, d.length, 0);
  } finally {
    await fh.close();
  }
  return d;
}

beforeAll(async () => {
  await requireOreBuild();
  dir = await mkdtemp(join(tmpdir(), 'mantle-ore-azure-'));
  azurite = await startAzurite();
  await (await azuriteService(azurite)).getContainerClient('vhds').create();
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AZURE_')));
  env = {
    ...clean,
    HOME: join(dir, 'home'),
    AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${azurite.endpoint};`,
  };
  disk = await makeDisk('flatcar_production_azure_image.bin', 0x41);
});

afterAll(async () => {
  await azurite?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ore azure upload-blob against Azurite', () => {
  const args = [
    'upload-blob',
    '--file',
    'flatcar_production_azure_image.bin',
    '--storage-account',
    AZURITE_ACCOUNT,
  ];

  it('makes a disk a fixed VHD and uploads it as a page blob, only the non-zero pages', async () => {
    const res = await ore([...args, '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    const r = JSON.parse(res.stdout) as { url: string; size: number; uploaded: boolean };
    expect(r.url).toMatch(/\/vhds\/flatcar_production_azure_image\.vhd$/);
    expect(r).toMatchObject({ size: DISK_SIZE + 512, uploaded: true });
    const got = await blobBytes('flatcar_production_azure_image.vhd');
    expect(got.subarray(0, DISK_SIZE).equals(disk)).toBe(true);
    expect(got.toString('latin1', DISK_SIZE, DISK_SIZE + 8)).toBe('conectix');
    const blob = (await azuriteService(azurite))
      .getContainerClient('vhds')
      .getPageBlobClient('flatcar_production_azure_image.vhd');
    const props = await blob.getProperties();
    expect(props.blobType).toBe('PageBlob');
    // the three data areas and the footer, not the 24 MiB
    const ranges = (await blob.getPageRanges()).pageRange ?? [];
    const sent = ranges.reduce((n, rg) => n + (rg.count ?? 0) + 1, 0);
    expect(sent).toBeLessThanOrEqual(4 * 4 * MIB);
    expect(sent).toBeLessThan(DISK_SIZE);
  });

  it('a second run sends nothing', async () => {
    const res = await ore([...args, '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ uploaded: false });
  });

  it('another image of the same blob name is refused without --overwrite, replaced with it', async () => {
    const other = await makeDisk('other.bin', 0x42);
    const o = [
      'upload-blob',
      '--file',
      'other.bin',
      '--blob-name',
      'flatcar_production_azure_image.vhd',
      '--storage-account',
      AZURITE_ACCOUNT,
      '--json',
    ];
    const refused = await ore(o);
    expect(refused.exitCode).toBe(2);
    expect(jsonError(refused.stderr).code).toBe('AZURE_BLOB_EXISTS');
    const replaced = await ore([...o, '--overwrite']);
    expect(replaced.exitCode, replaced.stderr).toBe(0);
    expect((await blobBytes('flatcar_production_azure_image.vhd')).subarray(0, DISK_SIZE).equals(other)).toBe(
      true,
    );
  });

  it('--dry-run touches nothing; bad names and missing credentials are refused', async () => {
    const dry = await ore([
      'upload-blob',
      '--file',
      'other.bin',
      '--blob-name',
      'dry.vhd',
      '--storage-account',
      AZURITE_ACCOUNT,
      '--dry-run',
      '--json',
    ]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect((JSON.parse(dry.stdout) as { dryRun: unknown[] }).dryRun).toHaveLength(1);
    const exists = await (
      await azuriteService(azurite)
    )
      .getContainerClient('vhds')
      .getBlobClient('dry.vhd')
      .exists();
    expect(exists).toBe(false);

    const badAccount = await ore([...args, '--storage-account', 'Bad_Account', '--json']);
    expect(badAccount.exitCode).toBe(2);
    expect(jsonError(badAccount.stderr)).toMatchObject({ code: 'AZURE_BAD_NAME' });
    const badContainer = await ore([...args, '--container', 'No', '--json']);
    expect(badContainer.exitCode).toBe(2);
    expect(jsonError(badContainer.stderr).message).toContain('--container');
    const noContainer = await ore([...args, '--container', 'missing', '--json']);
    expect(noContainer.exitCode).not.toBe(0);
    expect(jsonError(noContainer.stderr).code).toBe('STORAGE_BUCKET_NOT_FOUND');
    const noCreds = await ore([...args, '--json'], { AZURE_STORAGE_CONNECTION_STRING: '' });
    expect(noCreds.exitCode).not.toBe(0);
    expect(jsonError(noCreds.stderr).message).toContain('no credentials for azure://');
    expect(jsonError(noCreds.stderr).hint).toMatch(/AZURE_STORAGE_KEY/);
  });
});
