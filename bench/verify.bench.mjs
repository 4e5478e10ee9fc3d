// Benchmark: verifying a downloaded image the way `plume fetch`/gangue does, against the tools
// people use by hand, on the same file in the same process:
//   - hashFile(sha256) vs `sha256sum FILE`
//   - verifyDetachedSignature (openpgp, streamed) vs `gpg --verify SIG FILE`
//   - download() from a local HTTP server with sha256 + signature check vs `curl -o` + sha256sum + gpg
//     (only when curl is installed)
// Keys and signatures are made with the real gpg in a temp homedir. Prints MB/s and the ratio
// (ours / baseline time; < 1 means faster).
//
//   pnpm --filter @mantle/core build && node bench/verify.bench.mjs
//   BENCH_MB=512 node bench/verify.bench.mjs
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const MB = Number(process.env.BENCH_MB ?? 256);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const execFileP = promisify(execFile);

let core;
try {
  core = await import(new URL('../packages/core/dist/index.js', import.meta.url).href);
} catch (err) {
  console.error(
    `cannot load packages/core/dist (build it first: pnpm --filter @mantle/core build): ${err.message}`,
  );
  process.exit(2);
}
const { hashFile, verifyDetachedSignature, download } = core;

async function time(fn) {
  let best = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

function report(name, ours, base) {
  const mbps = (ms) => ((MB / ms) * 1000).toFixed(0);
  console.log(
    `${name.padEnd(34)} ours ${ours.toFixed(0).padStart(6)} ms (${mbps(ours)} MB/s)  baseline ${base.toFixed(0).padStart(6)} ms (${mbps(base)} MB/s)  ratio ${(ours / base).toFixed(2)}`,
  );
}

const dir = await mkdtemp(join(tmpdir(), 'mantle-bench-verify-'));
const gnupg = await mkdtemp(join(tmpdir(), 'mbg-'));
let server;
try {
  const file = join(dir, 'image.bin');
  const fh = await open(file, 'w');
  const chunk = randomBytes(1024 * 1024);
  for (let i = 0; i < MB; i++) await fh.write(chunk);
  await fh.close();
  console.log(`file: ${MB} MiB random data; best of ${RUNS} runs each`);

  const gpg = (args) =>
    execFileP('gpg', [
      '--homedir',
      gnupg,
      '--batch',
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      ...args,
    ]);
  await gpg(['--quick-gen-key', 'Bench <b@example.invalid>', 'ed25519', 'sign', 'never']);
  const { stdout: pub } = await gpg(['--armor', '--export']);
  const sig = `${file}.sig`;
  await gpg(['--output', sig, '--detach-sign', file]);

  const sha = (await execFileP('sha256sum', [file])).stdout.split(' ')[0];
  report(
    'sha256: hashFile vs sha256sum',
    await time(() => hashFile(file)),
    await time(() => execFileP('sha256sum', [file])),
  );
  report(
    'signature: openpgp vs gpg --verify',
    await time(() => verifyDetachedSignature({ data: file, signature: sig, keys: pub })),
    await time(() => gpg(['--verify', sig, file])),
  );

  server = createServer((req, res) => {
    if (req.url === '/image.bin.sig') return readFile(sig).then((b) => res.end(b));
    stat(file).then((st) => {
      res.writeHead(200, { 'Content-Length': st.size });
      createReadStream(file).pipe(res);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const curl = ['/usr/bin/curl', '/bin/curl'].find((p) => existsSync(p));
  const ours = await time(async () => {
    const dest = join(dir, 'dl', 'image.bin');
    await rm(dest, { force: true });
    await download(`${base}/image.bin`, dest, {
      expectedSha256: sha,
      signatureUrl: `${base}/image.bin.sig`,
      keys: pub,
    });
  });
  if (curl) {
    const baseline = await time(async () => {
      const dest = join(dir, 'curl.bin');
      await execFileP(curl, ['-sf', '-o', dest, `${base}/image.bin`]);
      await execFileP('sha256sum', [dest]);
      await gpg(['--verify', sig, dest]);
    });
    report('download+verify vs curl+sha256sum+gpg', ours, baseline);
  } else {
    console.log(
      `download + sha256 + signature: ${ours.toFixed(0)} ms (${((MB / ours) * 1000).toFixed(0)} MB/s); no curl for a baseline`,
    );
  }
} finally {
  server?.closeAllConnections?.();
  server?.close();
  await execFileP('gpgconf', ['--homedir', gnupg, '--kill', 'all']).catch(() => {});
  await rm(gnupg, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
}
