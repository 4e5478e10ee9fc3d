// Benchmark: ore's cloud uploads on a sparse disk image that is 90% zeros, in one process:
// - EBS direct (`ore aws upload` default) into the EBS-direct protocol server of
//   @mantle/test-utils/fake-aws: blocks sent vs all blocks of the volume (goal >= 5x fewer);
// - S3 multipart (ore's S3 store, 16 MiB parts, 4 in flight) to s3rver vs one PutObject;
// - Azure page blob (ore's AzureStore.putPageBlob, only non-zero pages) to Azurite: bytes sent vs
//   every page (goal >= 5x less), and time vs the SDK's plain uploadFile of the same file.
//
//   pnpm --filter @mantle/core --filter @mantle/ore build && node bench/ore-upload.bench.mjs
//   BENCH_DISK_GIB=4 (default 4) BENCH_S3_MIB=256 (default) node bench/ore-upload.bench.mjs
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from './lib/bundle-ts.mjs';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const DISK = Number(process.env.BENCH_DISK_GIB ?? 4) * GIB;
const S3_SIZE = Number(process.env.BENCH_S3_MIB ?? 256) * MIB;
const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const oreDir = fileURLToPath(new URL('../packages/ore/', import.meta.url));
const require = createRequire(join(oreDir, 'package.json'));
const utilsRequire = createRequire(
  fileURLToPath(new URL('../packages/test-utils/package.json', import.meta.url)),
);

let ore;
try {
  ore = await import(new URL('../packages/ore/dist/index.js', import.meta.url).href);
} catch (err) {
  console.error(
    `cannot load packages/ore/dist (pnpm --filter @mantle/core --filter @mantle/ore build): ${err.message}`,
  );
  process.exit(2);
}
const storage = await import(new URL('../packages/ore/dist/storage.js', import.meta.url).href);

const work = await mkdtemp(join(tmpdir(), 'mantle-ore-upload-bench-'));
const cleanups = [() => rm(work, { recursive: true, force: true })];
const cleanup = async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

const timed = async (fn) => {
  const t = process.hrtime.bigint();
  const out = await fn();
  return { secs: Number(process.hrtime.bigint() - t) / 1e9, out };
};

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

try {
  // A sparse disk as images are: data in runs (8 MiB of every 80 MiB), zeros between; an MBR
  // signature makes it a disk image.
  const disk = join(work, 'disk.raw');
  const fh = await open(disk, 'w');
  for (let off = 0; off < DISK; off += 80 * MIB) await fh.write(randomBytes(8 * MIB), 0, 8 * MIB, off);
  const mbr = Buffer.alloc(512);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  await fh.write(mbr.subarray(446), 0, 66, 446);
  await fh.truncate(DISK);
  await fh.close();
  console.log(`disk: ${DISK / GIB} GiB, 8 MiB of data in every 80 MiB (90% zeros)`);

  // --- EBS direct
  if (!process.env.BENCH_ONLY || process.env.BENCH_ONLY === 'ebs') {
    const fakeMod = join(work, 'fake-aws.mjs');
    await bundleForNode(
      fileURLToPath(new URL('../packages/test-utils/src/fake-aws.ts', import.meta.url)),
      fakeMod,
    );
    const { startFakeAws } = await import(fakeMod);
    const aws = await startFakeAws();
    cleanups.push(() => aws.close());
    const clients = ore.awsClients({
      region: 'us-east-1',
      credentials: { accessKeyId: 'BENCH', secretAccessKey: 'BENCH' },
      endpoints: { ec2: aws.ec2Endpoint, ebs: aws.ebsEndpoint },
    });
    const ebs = await timed(() =>
      ore.uploadEbsDirect(clients, { file: disk, name: 'bench', concurrency: 16 }),
    );
    clients.destroy();
    const { blocksWritten, blocksTotal } = ebs.out;
    console.log(
      `EBS direct : ${blocksWritten} of ${blocksTotal} blocks sent -> ${(blocksTotal / blocksWritten).toFixed(1)}x fewer (goal >= 5x), ${ebs.secs.toFixed(1)} s`,
    );
  }

  // --- S3 multipart vs one PUT (s3rver)
  if (!process.env.BENCH_ONLY || process.env.BENCH_ONLY === 's3') {
    const s3src = join(work, 's3.bin');
    const sf = await open(s3src, 'w');
    for (let off = 0; off < S3_SIZE; off += 16 * MIB) await sf.write(randomBytes(16 * MIB), 0, 16 * MIB, off);
    await sf.close();
    const S3rver = utilsRequire('s3rver');
    const s3 = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: join(work, 's3rver'),
      configureBuckets: [{ name: 'bench' }],
    });
    const s3addr = await s3.run();
    cleanups.push(() => s3.close());
    const s3opts = {
      endpoint: `http://127.0.0.1:${s3addr.port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    };
    const store = await storage.openStore('s3://bench/ore/', { s3: s3opts });
    const multi = await timed(() => store.put('multi.bin', s3src, { partSize: 16 * MIB, concurrency: 4 }));
    const { S3Client, PutObjectCommand } = await import(require.resolve('@aws-sdk/client-s3'));
    const s3c = new S3Client({
      ...s3opts,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const one = await timed(() =>
      s3c.send(
        new PutObjectCommand({
          Bucket: 'bench',
          Key: 'ore/one.bin',
          Body: createReadStream(s3src),
          ContentLength: S3_SIZE,
        }),
      ),
    );
    s3c.destroy();
    console.log(
      `S3 ${S3_SIZE / MIB} MiB : multipart ${multi.secs.toFixed(2)} s, one PUT ${one.secs.toFixed(2)} s -> ratio ${(multi.secs / one.secs).toFixed(2)}`,
    );
  }

  // --- Azure page blob (Azurite)
  const azPort = await freePort();
  const az = spawn(
    utilsRequire.resolve('azurite/dist/src/blob/main.js'),
    [
      '--disableTelemetry',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(azPort),
      '--location',
      join(work, 'azurite'),
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
  const blob = utilsRequire('@azure/storage-blob');
  const svc = new blob.BlobServiceClient(
    azEndpoint,
    new blob.StorageSharedKeyCredential('devstoreaccount1', AZURITE_KEY),
  );
  await svc.getContainerClient('bench').create();
  // a fixed VHD: the disk + footer
  const vhd = join(work, 'disk.vhd');
  await ore.convertImage({ input: disk, format: 'vhd', out: vhd });
  const vhdSize = (await stat(vhd)).size;
  const azStore = await storage.openStore('azure://devstoreaccount1/bench/', {
    azure: { accountKey: AZURITE_KEY, endpoint: azEndpoint },
  });
  const page = await timed(() => azStore.putPageBlob('page.vhd', vhd, { concurrency: 8 }));
  const ranges = await svc.getContainerClient('bench').getPageBlobClient('page.vhd').getPageRanges();
  // Azurite answers {offset, count} (count = last byte - offset), the type says {start, end}
  const sent = (ranges.pageRange ?? []).reduce(
    (n, r) => n + (r.count !== undefined ? r.count + 1 : r.end - r.start + 1),
    0,
  );
  const plain = await timed(() =>
    svc.getContainerClient('bench').getBlockBlobClient('plain.vhd').uploadFile(vhd, { concurrency: 8 }),
  );
  console.log(
    `Azure page blob: ${(sent / MIB).toFixed(0)} of ${(vhdSize / MIB).toFixed(0)} MiB sent -> ${(vhdSize / sent).toFixed(1)}x less (goal >= 5x); ` +
      `${page.secs.toFixed(1)} s vs uploadFile ${plain.secs.toFixed(1)} s -> ratio ${(page.secs / plain.secs).toFixed(2)}`,
  );
} finally {
  await cleanup();
}
