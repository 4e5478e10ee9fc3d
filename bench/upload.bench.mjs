// Benchmark: upload one large file (1 GiB by default) through @mantle/ore's object stores to
// s3rver (S3 API) and Azurite (Azure Blob API) on 127.0.0.1, and into a file store, each against
// its raw baseline in the same process: the same SDK call ore makes (lib-storage Upload, Azure
// uploadFile; same part size and concurrency) without ore's wrapper, fs.copyFile for the file
// store. Prints MiB/s and the ratio to the baseline, plus the cost of an idempotent rerun
// (skipIfSame: hash + one metadata request, no upload).
//
//   pnpm --filter @mantle/ore... build && node bench/upload.bench.mjs
//   BENCH_SIZE_MIB=256 node bench/upload.bench.mjs      # a smaller file
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, copyFile, mkdtemp, rm, stat, unlink } from 'node:fs/promises';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_SIZE_MIB ?? 1024);
// s3rver and Azurite are dependencies of the private test-utils package.
const servicesDir = fileURLToPath(new URL('../packages/test-utils/', import.meta.url));
const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

let storage;
try {
  storage = await import(new URL('../packages/ore/dist/storage.js', import.meta.url).href);
} catch (err) {
  console.error(
    `cannot load packages/ore/dist (build it first: pnpm --filter @mantle/ore... build): ${err.message}`,
  );
  process.exit(2);
}
const { openStore } = storage;

const work = await mkdtemp(join(tmpdir(), 'mantle-upload-bench-'));
const cleanups = [() => rm(work, { recursive: true, force: true })];
async function cleanup() {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

function probe(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 500 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => (req.destroy(), resolve(false)));
    req.end();
  });
}

// Half random, half zero 1 MiB blocks: incompressible where it matters, cheap to generate.
async function makeSource(path) {
  const fh = await open(path, 'w');
  const block = randomBytes(MIB);
  for (let i = 0; i < SIZE_MIB; i++) {
    if (i % 2 === 0) {
      block.writeUInt32LE(i, 0);
      await fh.write(block, 0, MIB, i * MIB);
    }
  }
  await fh.truncate(SIZE_MIB * MIB);
  await fh.sync();
  await fh.close();
}

async function timeIt(fn) {
  const t0 = process.hrtime.bigint();
  const out = await fn();
  return { secs: Number(process.hrtime.bigint() - t0) / 1e9, out };
}

try {
  const src = join(work, 'source.bin');
  console.log(`generating ${SIZE_MIB} MiB in ${work} ...`);
  await makeSource(src);
  const bytes = (await stat(src)).size;

  // s3rver through its JS API, Azurite as a child process: both on 127.0.0.1 only.
  const require = createRequire(join(servicesDir, 'package.json'));
  const S3rver = require('s3rver');
  const s3dir = join(work, 's3rver');
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: s3dir,
    configureBuckets: [{ name: 'bench' }],
  });
  const s3addr = await s3.run();
  cleanups.push(() => s3.close());

  const azPort = await freePort();
  const azDir = join(work, 'azurite');
  const az = spawn(
    join(servicesDir, 'node_modules/.bin/azurite-blob'),
    [
      '--disableTelemetry',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(azPort),
      '--location',
      azDir,
      '--skipApiVersionCheck',
      '--silent',
    ],
    { stdio: 'ignore' },
  );
  cleanups.push(
    () =>
      new Promise((resolve) => {
        if (az.exitCode !== null) return resolve();
        az.once('exit', resolve);
        az.kill('SIGTERM');
      }),
  );
  const deadline = Date.now() + 30_000;
  while (!(await probe(azPort))) {
    if (Date.now() > deadline) throw new Error('azurite-blob did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  const azEndpoint = `http://127.0.0.1:${azPort}/devstoreaccount1`;
  const { BlobServiceClient, StorageSharedKeyCredential } = require('@azure/storage-blob');
  await new BlobServiceClient(azEndpoint, new StorageSharedKeyCredential('devstoreaccount1', AZURITE_KEY))
    .getContainerClient('bench')
    .create();

  // Each store is divided by its raw baseline: the same SDK call ore makes, with the same part
  // size and concurrency, but without ore's wrapper (no pre-hash, no hashing pass-through, no
  // metadata, no progress). The file store's baseline is fs.copyFile of the same file.
  // The AWS SDK is ore's dependency: resolve it from there, as ore loads it.
  const oreRequire = createRequire(new URL('../packages/ore/package.json', import.meta.url));
  const { S3Client } = oreRequire('@aws-sdk/client-s3');
  const { Upload } = oreRequire('@aws-sdk/lib-storage');
  const { createReadStream } = await import('node:fs');
  const s3client = new S3Client({
    endpoint: `http://127.0.0.1:${s3addr.port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  cleanups.push(async () => s3client.destroy());
  const rawBlob = new BlobServiceClient(
    azEndpoint,
    new StorageSharedKeyCredential('devstoreaccount1', AZURITE_KEY),
  )
    .getContainerClient('bench')
    .getBlockBlobClient('raw.bin');
  const PART = 16 * MIB;
  const targets = [
    {
      name: 'file store',
      store: await openStore(join(work, 'filestore')),
      baseline: 'fs.copyFile of the same file',
      raw: async () => {
        await copyFile(src, join(work, 'copy.bin'));
        await unlink(join(work, 'copy.bin'));
      },
    },
    {
      name: 's3 (s3rver)',
      store: await openStore(`s3://bench/b`, {
        s3: {
          endpoint: `http://127.0.0.1:${s3addr.port}`,
          region: 'us-east-1',
          forcePathStyle: true,
          accessKeyId: 'S3RVER',
          secretAccessKey: 'S3RVER',
        },
      }),
      baseline: '@aws-sdk/lib-storage Upload, 16 MiB parts, queueSize 4, a 4 MiB-chunk file stream (as ore)',
      raw: () =>
        new Upload({
          client: s3client,
          partSize: PART,
          queueSize: 4,
          leavePartsOnError: false,
          params: {
            Bucket: 'bench',
            Key: 'raw.bin',
            Body: createReadStream(src, { highWaterMark: 4 * MIB }),
          },
        }).done(),
    },
    {
      name: 'azure (Azurite)',
      store: await openStore(`azure://devstoreaccount1/bench/b`, {
        azure: { endpoint: azEndpoint, accountKey: AZURITE_KEY },
      }),
      baseline: 'BlockBlobClient.uploadFile, 16 MiB blocks, concurrency 4 (as ore)',
      raw: () => rawBlob.uploadFile(src, { blockSize: PART, maxSingleShotSize: PART, concurrency: 4 }),
    },
  ];
  const results = [];
  for (const t of targets) {
    const raw = await timeIt(t.raw);
    let events = 0;
    const put = await timeIt(() =>
      t.store.put('big.bin', src, { partSize: PART, onProgress: () => events++ }),
    );
    if (put.out.size !== bytes) throw new Error(`${t.name}: uploaded ${put.out.size} of ${bytes} bytes`);
    const again = await timeIt(() => t.store.put('big.bin', src, { skipIfSame: true }));
    if (!again.out.skipped) throw new Error(`${t.name}: rerun was not skipped`);
    results.push({ ...t, raw: raw.secs, put: put.secs, again: again.secs, events });
    await t.store.delete('big.bin');
    await t.store.close();
  }

  console.log(
    `\nupload of ${(bytes / MIB).toFixed(0)} MiB on ${process.platform}/${process.arch}, node ${process.version}`,
  );
  const rate = (secs) => `${(bytes / MIB / secs).toFixed(0).padStart(6)} MiB/s`;
  for (const r of results) {
    console.log(`\n${r.name}: baseline = ${r.baseline}`);
    console.log(`  baseline           ${r.raw.toFixed(2).padStart(7)} s ${rate(r.raw)}`);
    console.log(
      `  ore put            ${r.put.toFixed(2).padStart(7)} s ${rate(r.put)}  ${(r.put / r.raw).toFixed(2)}x baseline (${r.events} progress events)`,
    );
    console.log(
      `  rerun (skipIfSame) ${r.again.toFixed(2).padStart(7)} s  ${(r.again / r.raw).toFixed(2)}x baseline`,
    );
  }
} finally {
  await cleanup();
}
