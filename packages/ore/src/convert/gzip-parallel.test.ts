import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ParallelGzip } from './gzip-parallel.js';

async function gzipAll(
  parts: Buffer[],
  opts: ConstructorParameters<typeof ParallelGzip>[1],
): Promise<Buffer> {
  const out: Buffer[] = [];
  const gz = new ParallelGzip((d) => {
    out.push(Buffer.from(d));
    return Promise.resolve();
  }, opts);
  for (const p of parts) await gz.write(p);
  await gz.end();
  return Buffer.concat(out);
}

describe('ParallelGzip', () => {
  it('makes one gzip member any gunzip reads, whatever the chunking', async () => {
    const text = Buffer.from('flatcar container linux '.repeat(20000));
    const data = Buffer.concat([text, randomBytes(300_000), text]);
    const parts = [data.subarray(0, 12345), data.subarray(12345, 700_000), data.subarray(700_000)];
    const gz = await gzipAll(parts, { chunkSize: 64 * 1024, concurrency: 3 });
    expect(gunzipSync(gz).equals(data)).toBe(true);
    // the dictionary keeps the ratio close to single-threaded gzip
    expect(gz.length).toBeLessThan(gzipSync(data).length * 1.05);
  });

  it('handles empty input and a final partial chunk', async () => {
    expect(gunzipSync(await gzipAll([], {})).length).toBe(0);
    const one = Buffer.alloc(100, 7);
    expect(gunzipSync(await gzipAll([one], { chunkSize: 64 })).equals(one)).toBe(true);
  });
});
