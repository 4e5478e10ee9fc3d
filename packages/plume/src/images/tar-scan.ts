import { InputError } from '@mantle/core/errors';
import {
  TAR_BLOCK,
  hasUstarMagic,
  isZeroBlock,
  tarChecksumOk,
  tarHeaderName,
  tarNumber,
} from '@mantle/core/fs';

// Reads a tar stream's headers as the bytes go by (ustar, GNU long names, pax path records) and
// keeps the content of the members it is asked for, without holding the archive: what
// publish-image needs to list the packages of a rootfs while it compresses it.

/** Normalize a member name: no leading `./` or `/`, no trailing `/`. */
function memberPath(name: string): string {
  return name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
}

/** A streaming tar walker: push() every chunk, then end(); `wanted` members' contents are kept. */
export class TarScanner {
  /** content of the wanted members found (by normalized path) */
  readonly found = new Map<string, Buffer>();
  /** members seen */
  entries = 0;
  private header: Buffer = Buffer.alloc(0);
  private skip = 0; // data bytes (incl. padding) still to pass over
  private keep: { path: string; size: number; chunks: Buffer[]; got: number } | undefined;
  private meta: { kind: 'longname' | 'pax'; size: number; chunks: Buffer[]; got: number } | undefined;
  private nextName: string | undefined;
  private zeroBlocks = 0;
  private checked = false;

  constructor(
    private readonly wanted: ReadonlySet<string>,
    private readonly source: string,
    private readonly maxKeep = 64 << 20,
  ) {}

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.collect(chunk.subarray(i, i + n));
        this.skip -= n;
        i += n;
        if (this.skip === 0) this.finishMember();
        continue;
      }
      const need = TAR_BLOCK - this.header.length;
      const take = chunk.subarray(i, i + need);
      this.header = this.header.length === 0 ? take : Buffer.concat([this.header, take]);
      i += take.length;
      if (this.header.length === TAR_BLOCK) {
        const h = this.header;
        this.header = Buffer.alloc(0);
        this.onHeader(h);
      }
    }
  }

  /** Check that the archive ended cleanly (or at least on a header boundary). */
  end(): void {
    if (!this.checked) throw this.notTar('it is empty');
    if (this.skip > 0 || this.header.length > 0) throw this.notTar('it is truncated');
  }

  private notTar(why: string): InputError {
    return new InputError({
      code: 'PLUME_IMAGE_NOT_TAR',
      message: `${this.source} is not a tar archive (${why})`,
      hint: 'pass the rootfs as a tarball, e.g. `docker export` or `tar -cf rootfs.tar -C rootfs .`',
      details: { file: this.source },
    });
  }

  private onHeader(h: Buffer): void {
    if (isZeroBlock(h)) {
      this.zeroBlocks++;
      return;
    }
    if (!this.checked) {
      if (!hasUstarMagic(h)) throw this.notTar('no ustar header');
      this.checked = true;
    }
    if (!tarChecksumOk(h)) throw this.notTar(`bad header checksum at member ${this.entries + 1}`);
    const type = String.fromCharCode(h[156] || 48);
    const size = tarNumber(h, 124, 12);
    const padded = Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
    if (type === 'L' || type === 'x') {
      this.meta = { kind: type === 'L' ? 'longname' : 'pax', size, chunks: [], got: 0 };
    } else {
      this.entries++;
      const name = memberPath(this.nextName ?? tarHeaderName(h));
      this.nextName = undefined;
      const regular = type === '0' || type === '7';
      if (regular && this.wanted.has(name) && size <= this.maxKeep)
        this.keep = { path: name, size, chunks: [], got: 0 };
    }
    this.skip = padded;
    if (padded === 0) this.finishMember();
  }

  private collect(bytes: Buffer): void {
    const target = this.meta ?? this.keep;
    if (!target || target.got >= target.size) return;
    const part = bytes.subarray(0, target.size - target.got);
    target.chunks.push(Buffer.from(part));
    target.got += part.length;
  }

  private finishMember(): void {
    if (this.meta) {
      const text = Buffer.concat(this.meta.chunks).toString('utf8');
      if (this.meta.kind === 'longname') this.nextName = text.replace(/\0.*$/s, '');
      else {
        const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text);
        if (m) this.nextName = m[1];
      }
      this.meta = undefined;
    } else if (this.keep) {
      this.found.set(this.keep.path, Buffer.concat(this.keep.chunks));
      this.keep = undefined;
    }
  }
}
