import { describe, expect, it } from 'vitest';
import { InputError } from '../errors/mantle-error.js';
import { bufferSource } from './block-source.js';
import { decodeGptHeader, encodeGpt, readGpt, type GptSpec } from './gpt/index.js';
import { formatSfdiskDump, gptToJson, partitionNode } from './gpt-text.js';
import { PartitionType } from './partition-types.js';

const MiB = 1024 * 1024;

function disk(spec: GptSpec, size: number): Buffer {
  const enc = encodeGpt(spec, size);
  const buf = Buffer.alloc(size);
  enc.mbrTable.copy(buf, 446);
  enc.primaryHeader.copy(buf, enc.offsets.primaryHeader);
  enc.entries.copy(buf, enc.offsets.primaryEntries);
  enc.entries.copy(buf, enc.offsets.backupEntries);
  enc.backupHeader.copy(buf, enc.offsets.backupHeader);
  return buf;
}

const spec: GptSpec = {
  diskGuid: '11111111-2222-3333-4444-555555555555',
  partitions: [
    {
      number: 1,
      type: PartitionType.EFI_SYSTEM,
      uuid: 'AAAAAAAA-0000-0000-0000-000000000001',
      name: 'EFI-SYSTEM',
      startLba: 2048,
      sizeLba: 2048,
      attributes: 4n,
    },
    {
      number: 3,
      type: PartitionType.FLATCAR_USR,
      uuid: '7130c94a-213a-4e5a-8e26-6cce9662f132',
      name: 'USR-A',
      startLba: 4096,
      sizeLba: 1024,
      attributes: (1n << 48n) | (1n << 56n),
    },
    { number: 9, type: PartitionType.FLATCAR_RESIZE, name: 'ROOT', startLba: 6144, sizeLba: 1000 },
  ],
};

function flip(buf: Buffer, i: number, mask = 0xff): void {
  buf[i] = buf[i]! ^ mask;
}

async function expectInputError(p: Promise<unknown>, code: string): Promise<InputError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).code).toBe(code);
  expect((err as InputError).exitCode).toBe(2);
  return err as InputError;
}

describe('gpt encode/decode', () => {
  it('round-trips partitions, names, uuids and 64-bit attributes', async () => {
    const buf = disk(spec, 4 * MiB);
    const t = await readGpt(bufferSource('mem.img', buf));
    expect(t.source).toBe('primary');
    expect(t.backup.ok).toBe(true);
    expect(t.warnings).toEqual([]);
    expect(t.sectorSize).toBe(512);
    expect(t.firstUsableLba).toBe(34);
    expect(t.lastUsableLba).toBe(4 * 2048 - 34);
    expect(t.diskGuid).toBe('11111111-2222-3333-4444-555555555555');
    expect(t.partitions.map((p) => [p.number, p.name, p.startLba, p.sizeLba])).toEqual([
      [1, 'EFI-SYSTEM', 2048, 2048],
      [3, 'USR-A', 4096, 1024],
      [9, 'ROOT', 6144, 1000],
    ]);
    expect(t.partitions[1]!.uuid).toBe('7130C94A-213A-4E5A-8E26-6CCE9662F132');
    expect(t.partitions[1]!.attributes).toBe((1n << 48n) | (1n << 56n));
    expect(t.partitions[2]!.uuid).toMatch(/^[0-9A-F-]{36}$/);
    // protective MBR
    expect(buf[446 + 4]).toBe(0xee);
    expect(buf.readUInt32LE(446 + 12)).toBe(4 * 2048 - 1);
  });

  it('prints like sfdisk -d', async () => {
    const t = await readGpt(bufferSource('disk.img', disk(spec, 4 * MiB)));
    const text = formatSfdiskDump(t);
    expect(text).toContain(
      'label: gpt\nlabel-id: 11111111-2222-3333-4444-555555555555\ndevice: disk.img\nunit: sectors\nfirst-lba: 34\nlast-lba: 8158\nsector-size: 512\n\n',
    );
    expect(text).toContain(
      'disk.img3 : start=        4096, size=        1024, type=5DFBF5F4-2848-4BAC-AA5E-0D9A20B745A6, uuid=7130C94A-213A-4E5A-8E26-6CCE9662F132, name="USR-A", attrs="GUID:48,56"',
    );
    expect(text).toContain('name="EFI-SYSTEM", attrs="LegacyBIOSBootable"');
    expect(partitionNode('/dev/nvme0n1', 2)).toBe('/dev/nvme0n1p2');
    const json = gptToJson(t);
    expect(json.partitions[1]).toMatchObject({
      attrs: 'GUID:48,56',
      attributes: '0x0101000000000000',
      typeName: 'Flatcar /usr',
    });
  });

  it('reads 4096-byte sector disks', async () => {
    const t = await readGpt(
      bufferSource(
        '4k.img',
        disk(
          {
            ...spec,
            sectorSize: 4096,
            partitions: [
              { number: 1, type: PartitionType.LINUX_DATA, name: 'X', startLba: 256, sizeLba: 100 },
            ],
          },
          4 * MiB,
        ),
      ),
    );
    expect(t.sectorSize).toBe(4096);
    expect(t.firstUsableLba).toBe(6);
    expect(t.partitions[0]).toMatchObject({ startLba: 256, sizeLba: 100 });
  });

  it('recovers a corrupt primary header from the backup and says so', async () => {
    const buf = disk(spec, 4 * MiB);
    flip(buf, 512 + 40, 0xff); // inside the primary header: header CRC no longer matches
    const t = await readGpt(bufferSource('bad.img', buf));
    expect(t.source).toBe('backup');
    expect(t.primary).toMatchObject({ ok: false, problem: { code: 'GPT_BAD_CRC' } });
    expect(t.warnings[0]).toMatch(/primary GPT of bad.img is corrupt .*recovered from the backup/);
    expect(t.partitions).toHaveLength(3);
  });

  it('recovers a corrupt primary entry array and a wiped primary signature', async () => {
    const a = disk(spec, 4 * MiB);
    flip(a, 1024 + 200, 1);
    expect((await readGpt(bufferSource('a.img', a))).source).toBe('backup');
    const b = disk(spec, 4 * MiB);
    b.fill(0, 0, 1024);
    const t = await readGpt(bufferSource('b.img', b));
    expect(t.source).toBe('backup');
    expect(t.primary.problem?.code).toBe('GPT_BAD_SIGNATURE');
  });

  it('fails with GPT_BAD_CRC naming the file when both copies are corrupt', async () => {
    const buf = disk(spec, 4 * MiB);
    flip(buf, 512 + 40, 0xff);
    flip(buf, buf.length - 512 + 40, 0xff);
    const err = await expectInputError(readGpt(bufferSource('both.img', buf)), 'GPT_BAD_CRC');
    expect(err.message).toMatch(/both\.img/);
  });

  it('fails with GPT_BAD_SIGNATURE on a disk without a GPT', async () => {
    await expectInputError(readGpt(bufferSource('zero.img', Buffer.alloc(MiB))), 'GPT_BAD_SIGNATURE');
  });

  it('fails with GPT_TRUNCATED on a cut-short image and a tiny file', async () => {
    const buf = disk(spec, 4 * MiB);
    const err = await expectInputError(
      readGpt(bufferSource('cut.img', buf.subarray(0, 3 * MiB))),
      'GPT_TRUNCATED',
    );
    expect(err.message).toMatch(/cut\.img is truncated/);
    await expectInputError(readGpt(bufferSource('tiny.img', buf.subarray(0, 600))), 'GPT_TRUNCATED');
  });

  it('warns when the backup is damaged but the primary is fine', async () => {
    const buf = disk(spec, 4 * MiB);
    flip(buf, buf.length - 512 + 40, 0xff);
    const t = await readGpt(bufferSource('b.img', buf));
    expect(t.source).toBe('primary');
    expect(t.backup.ok).toBe(false);
    expect(t.warnings.join('\n')).toMatch(/backup GPT of b\.img .* unusable/);
  });

  it('validates before encoding: overlap, outside the disk, long names, bad GUIDs', () => {
    const base = { type: PartitionType.LINUX_DATA };
    const err = (s: GptSpec): InputError => {
      try {
        encodeGpt(s, 4 * MiB, 'x.img');
      } catch (e) {
        return e as InputError;
      }
      throw new Error('expected an error');
    };
    expect(
      err({
        partitions: [
          { ...base, number: 1, startLba: 2048, sizeLba: 100 },
          { ...base, number: 2, startLba: 2100, sizeLba: 10 },
        ],
      }).code,
    ).toBe('GPT_OVERLAP');
    expect(err({ partitions: [{ ...base, number: 1, startLba: 8000, sizeLba: 1000 }] }).code).toBe(
      'GPT_PARTITION_OUTSIDE_DISK',
    );
    expect(err({ partitions: [{ ...base, number: 1, startLba: 10, sizeLba: 1 }] }).code).toBe(
      'GPT_PARTITION_OUTSIDE_DISK',
    );
    const long = err({
      partitions: [{ ...base, number: 4, startLba: 2048, sizeLba: 1, name: 'x'.repeat(37) }],
    });
    expect(long.code).toBe('GPT_INVALID_PARTITION');
    expect(long.details).toMatchObject({ partition: 4, field: 'name' });
    expect(err({ partitions: [{ type: 'zzz', number: 1, startLba: 2048, sizeLba: 1 }] }).message).toMatch(
      /partition 1: type "zzz" is not a GUID/,
    );
    expect(err({ partitions: [{ ...base, number: 129, startLba: 2048, sizeLba: 1 }] }).details).toMatchObject(
      { field: 'number' },
    );
    const u = 'AAAAAAAA-0000-0000-0000-000000000001';
    expect(
      err({
        partitions: [
          { ...base, number: 1, uuid: u, startLba: 2048, sizeLba: 1 },
          { ...base, number: 2, uuid: u.toLowerCase(), startLba: 4096, sizeLba: 1 },
        ],
      }).message,
    ).toMatch(/partition 2: uuid .* already used by partition 1/);
  });

  it('decodeGptHeader rejects a header that claims another LBA', () => {
    const enc = encodeGpt(spec, 4 * MiB);
    expect(decodeGptHeader(enc.primaryHeader, 1).ok).toBe(true);
    expect(decodeGptHeader(enc.primaryHeader, 5)).toMatchObject({ ok: false, code: 'GPT_BAD_HEADER' });
  });
});
