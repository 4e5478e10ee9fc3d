// A local test server speaking the part of the Google Cloud Storage JSON API that
// @google-cloud/storage 7 uses for objects: list (prefix/delimiter/paging), metadata, media
// download, simple multipart and resumable (single-request and chunked) uploads, rewrite (copy),
// delete, patch, ACL insert (makePublic) and anonymous public reads at /<bucket>/<object>.
// No GCS emulator is installable on this machine, so the real client is pointed here instead.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredObject {
  name: string;
  data: Buffer;
  contentType: string;
  cacheControl?: string;
  metadata: Record<string, string>;
  generation: number;
  updated: Date;
  publicRead: boolean;
}

interface ResumableSession {
  bucket: string;
  name: string;
  meta: Record<string, unknown>;
  contentType: string;
  chunks: Buffer[];
  received: number;
  publicRead: boolean;
}

/** Counts of the requests the server answered, for assertions such as "no new upload". */
export interface FakeGcsStats {
  simpleUploads: number;
  resumableStarts: number;
  resumableChunks: number;
  rewrites: number;
  deletes: number;
  aclInserts: number;
  mediaDownloads: number;
}

/** A running fake GCS server. */
export interface FakeGcs {
  /** http://127.0.0.1:PORT, to pass as apiEndpoint */
  endpoint: string;
  stats: FakeGcsStats;
  createBucket(name: string): void;
  object(bucket: string, name: string): StoredObject | undefined;
  close(): Promise<void>;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32C (Castagnoli) as GCS reports it: base64 of the big-endian 4 bytes. */
export function crc32cBase64(data: Buffer): string {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

function md5Base64(data: Buffer): string {
  return createHash('md5').update(data).digest('base64');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function parseMultipart(
  body: Buffer,
  contentType: string,
): Array<{ headers: Record<string, string>; body: Buffer }> {
  const m = /boundary="?([^";]+)"?/.exec(contentType);
  if (!m) throw new Error('multipart without boundary');
  const delim = Buffer.from(`--${m[1]}`);
  const parts: Array<{ headers: Record<string, string>; body: Buffer }> = [];
  let pos = body.indexOf(delim);
  while (pos !== -1) {
    let start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    start += 2; // CRLF after the delimiter
    const next = body.indexOf(delim, start);
    if (next === -1) break;
    const part = body.subarray(start, next - 2); // drop the CRLF before the next delimiter
    const sep = part.indexOf('\r\n\r\n');
    const headers: Record<string, string> = {};
    for (const line of part.subarray(0, sep).toString().split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    parts.push({ headers, body: part.subarray(sep + 4) });
    pos = next;
  }
  return parts;
}

/** Start the fake GCS server on a free port on 127.0.0.1. */
export async function startFakeGcs(): Promise<FakeGcs> {
  const buckets = new Map<string, Map<string, StoredObject>>();
  const sessions = new Map<string, ResumableSession>();
  const stats: FakeGcsStats = {
    simpleUploads: 0,
    resumableStarts: 0,
    resumableChunks: 0,
    rewrites: 0,
    deletes: 0,
    aclInserts: 0,
    mediaDownloads: 0,
  };
  let generation = 1;
  let endpoint = '';

  const resource = (bucket: string, o: StoredObject): Record<string, unknown> => ({
    kind: 'storage#object',
    id: `${bucket}/${o.name}/${o.generation}`,
    selfLink: `${endpoint}/storage/v1/b/${bucket}/o/${encodeURIComponent(o.name)}`,
    name: o.name,
    bucket,
    generation: String(o.generation),
    metageneration: '1',
    contentType: o.contentType,
    ...(o.cacheControl ? { cacheControl: o.cacheControl } : {}),
    size: String(o.data.length),
    md5Hash: md5Base64(o.data),
    crc32c: crc32cBase64(o.data),
    etag: `${o.generation}`,
    updated: o.updated.toISOString(),
    timeCreated: o.updated.toISOString(),
    ...(Object.keys(o.metadata).length ? { metadata: o.metadata } : {}),
  });

  const send = (
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(text ? { 'content-type': 'application/json; charset=UTF-8' } : {}),
      ...headers,
    });
    res.end(text);
  };
  const error = (res: ServerResponse, status: number, message: string, reason: string): void =>
    send(res, status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } });
  const noBucket = (res: ServerResponse): void =>
    error(res, 404, 'The specified bucket does not exist.', 'notFound');
  const noObject = (res: ServerResponse, bucket: string, name: string): void =>
    error(res, 404, `No such object: ${bucket}/${name}`, 'notFound');

  const store = (
    bucket: Map<string, StoredObject>,
    name: string,
    data: Buffer,
    meta: Record<string, unknown>,
    publicRead: boolean,
  ): StoredObject => {
    const o: StoredObject = {
      name,
      data,
      contentType: typeof meta.contentType === 'string' ? meta.contentType : 'application/octet-stream',
      ...(typeof meta.cacheControl === 'string' ? { cacheControl: meta.cacheControl } : {}),
      metadata: { ...((meta.metadata as Record<string, string> | undefined) ?? {}) },
      generation: generation++,
      updated: new Date(),
      publicRead,
    };
    bucket.set(name, o);
    return o;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', endpoint);
    const path = url.pathname;
    const q = url.searchParams;
    let m: RegExpExecArray | null;

    // Uploads: /upload/storage/v1/b/<bucket>/o
    if ((m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path))) {
      const bucketName = decodeURIComponent(m[1]!);
      const bucket = buckets.get(bucketName);
      const uploadId = q.get('upload_id');
      if (req.method === 'PUT' && uploadId) {
        const s = sessions.get(uploadId);
        const body = await readBody(req);
        if (!s) return error(res, 404, 'No such upload', 'notFound');
        stats.resumableChunks++;
        const range = String(req.headers['content-range'] ?? '');
        const r = /^bytes (\d+)-(\d+|\*)\/(\d+|\*)$/.exec(range);
        const query = /^bytes \*\/(\d+|\*)$/.exec(range);
        let total: number | undefined;
        let last = false;
        if (r) {
          const start = Number(r[1]);
          if (start !== s.received)
            return error(res, 400, `chunk starts at ${start}, expected ${s.received}`, 'invalid');
          s.chunks.push(body);
          s.received += body.length;
          total = r[3] === '*' ? undefined : Number(r[3]);
          last = r[2] === '*' || (total !== undefined && s.received >= total);
        } else if (query) {
          total = query[1] === '*' ? undefined : Number(query[1]);
          last = total !== undefined && s.received >= total;
        } else {
          return error(res, 400, `bad Content-Range '${range}'`, 'invalid');
        }
        if (!last) {
          return send(res, 308, undefined, s.received > 0 ? { range: `bytes=0-${s.received - 1}` } : {});
        }
        const b = buckets.get(s.bucket);
        if (!b) return noBucket(res);
        sessions.delete(uploadId);
        const o = store(
          b,
          s.name,
          Buffer.concat(s.chunks),
          { ...s.meta, contentType: s.contentType },
          s.publicRead,
        );
        return send(res, 200, resource(s.bucket, o));
      }
      if (req.method !== 'POST') return error(res, 405, 'method not allowed', 'invalid');
      const body = await readBody(req);
      if (!bucket) return noBucket(res);
      const publicRead = q.get('predefinedAcl') === 'publicRead';
      if (q.get('uploadType') === 'multipart') {
        stats.simpleUploads++;
        const parts = parseMultipart(body, String(req.headers['content-type'] ?? ''));
        const meta = JSON.parse(parts[0]?.body.toString() || '{}') as Record<string, unknown>;
        const name = q.get('name') ?? (meta.name as string | undefined);
        if (!name) return error(res, 400, 'missing object name', 'required');
        const data = parts[1]?.body ?? Buffer.alloc(0);
        const o = store(
          bucket,
          name,
          Buffer.from(data),
          { ...meta, contentType: meta.contentType ?? parts[1]?.headers['content-type'] },
          publicRead,
        );
        return send(res, 200, resource(bucketName, o));
      }
      if (q.get('uploadType') === 'resumable') {
        stats.resumableStarts++;
        const meta = body.length ? (JSON.parse(body.toString()) as Record<string, unknown>) : {};
        const name = q.get('name') ?? (meta.name as string | undefined);
        if (!name) return error(res, 400, 'missing object name', 'required');
        const id = randomBytes(8).toString('hex');
        sessions.set(id, {
          bucket: bucketName,
          name,
          meta,
          contentType:
            (req.headers['x-upload-content-type'] as string | undefined) ??
            (typeof meta.contentType === 'string' ? meta.contentType : 'application/octet-stream'),
          chunks: [],
          received: 0,
          publicRead,
        });
        return send(res, 200, undefined, {
          location: `${endpoint}/upload/storage/v1/b/${encodeURIComponent(bucketName)}/o?uploadType=resumable&upload_id=${id}`,
        });
      }
      return error(res, 400, `unsupported uploadType '${q.get('uploadType')}'`, 'invalid');
    }

    // Rewrite (copy): /storage/v1/b/<b>/o/<o>/rewriteTo/b/<b2>/o/<o2>
    if (
      (m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)\/rewriteTo\/b\/([^/]+)\/o\/(.+)$/.exec(path)) &&
      req.method === 'POST'
    ) {
      await readBody(req);
      const [sb, so, db, dobj] = [m[1]!, m[2]!, m[3]!, m[4]!].map(decodeURIComponent) as [
        string,
        string,
        string,
        string,
      ];
      const from = buckets.get(sb);
      const to = buckets.get(db);
      if (!from || !to) return noBucket(res);
      const src = from.get(so);
      if (!src) return noObject(res, sb, so);
      stats.rewrites++;
      const o = store(
        to,
        dobj,
        Buffer.from(src.data),
        { contentType: src.contentType, cacheControl: src.cacheControl, metadata: src.metadata },
        false,
      );
      return send(res, 200, {
        kind: 'storage#rewriteResponse',
        totalBytesRewritten: String(o.data.length),
        objectSize: String(o.data.length),
        done: true,
        resource: resource(db, o),
      });
    }

    // ACL insert: /storage/v1/b/<b>/o/<o>/acl
    if ((m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)\/acl$/.exec(path)) && req.method === 'POST') {
      const body = JSON.parse((await readBody(req)).toString() || '{}') as { entity?: string; role?: string };
      const [bn, on] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
      const b = buckets.get(bn);
      if (!b) return noBucket(res);
      const o = b.get(on);
      if (!o) return noObject(res, bn, on);
      stats.aclInserts++;
      if (body.entity === 'allUsers' && body.role === 'READER') o.publicRead = true;
      return send(res, 200, {
        kind: 'storage#objectAccessControl',
        entity: body.entity,
        role: body.role,
        bucket: bn,
        object: on,
      });
    }

    // One object: /storage/v1/b/<b>/o/<o>
    if ((m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(path))) {
      const body = await readBody(req);
      const [bn, on] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
      const b = buckets.get(bn);
      if (!b) return noBucket(res);
      const o = b.get(on);
      if (!o) return noObject(res, bn, on);
      if (req.method === 'GET' && q.get('alt') === 'media') {
        stats.mediaDownloads++;
        res.writeHead(200, {
          'content-type': o.contentType,
          'content-length': String(o.data.length),
          'x-goog-hash': `crc32c=${crc32cBase64(o.data)},md5=${md5Base64(o.data)}`,
          'x-goog-generation': String(o.generation),
        });
        return void res.end(o.data);
      }
      if (req.method === 'GET') return send(res, 200, resource(bn, o));
      if (req.method === 'DELETE') {
        stats.deletes++;
        b.delete(on);
        return send(res, 204);
      }
      if (req.method === 'PATCH') {
        const patch = JSON.parse(body.toString() || '{}') as Record<string, unknown>;
        if (typeof patch.contentType === 'string') o.contentType = patch.contentType;
        if (typeof patch.cacheControl === 'string') o.cacheControl = patch.cacheControl;
        if (patch.metadata && typeof patch.metadata === 'object') Object.assign(o.metadata, patch.metadata);
        return send(res, 200, resource(bn, o));
      }
      return error(res, 405, 'method not allowed', 'invalid');
    }

    // List: /storage/v1/b/<b>/o
    if ((m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(path)) && req.method === 'GET') {
      const bn = decodeURIComponent(m[1]!);
      const b = buckets.get(bn);
      if (!b) return noBucket(res);
      const prefix = q.get('prefix') ?? '';
      const delimiter = q.get('delimiter') ?? '';
      const max = Number(q.get('maxResults') ?? 1000);
      const start = Number(q.get('pageToken') ?? 0);
      const names = [...b.keys()].filter((n) => n.startsWith(prefix)).sort();
      const items: StoredObject[] = [];
      const prefixes = new Set<string>();
      for (const n of names) {
        const rest = n.slice(prefix.length);
        const i = delimiter ? rest.indexOf(delimiter) : -1;
        if (i >= 0) prefixes.add(prefix + rest.slice(0, i + delimiter.length));
        else items.push(b.get(n)!);
      }
      const page = items.slice(start, start + max);
      return send(res, 200, {
        kind: 'storage#objects',
        items: page.map((o) => resource(bn, o)),
        ...(start === 0 && prefixes.size ? { prefixes: [...prefixes] } : {}),
        ...(start + max < items.length ? { nextPageToken: String(start + max) } : {}),
      });
    }

    // Bucket metadata: /storage/v1/b/<b>
    if ((m = /^\/storage\/v1\/b\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const bn = decodeURIComponent(m[1]!);
      if (!buckets.has(bn)) return noBucket(res);
      return send(res, 200, { kind: 'storage#bucket', id: bn, name: bn });
    }

    // Anonymous public read, as https://storage.googleapis.com/<bucket>/<object> serves it.
    if ((m = /^\/([^/]+)\/(.+)$/.exec(path)) && req.method === 'GET') {
      const o = buckets.get(decodeURIComponent(m[1]!))?.get(decodeURIComponent(m[2]!));
      if (!o) return error(res, 404, 'No such object', 'notFound');
      if (!o.publicRead)
        return error(res, 403, 'Anonymous caller does not have storage.objects.get access', 'forbidden');
      res.writeHead(200, { 'content-type': o.contentType, 'content-length': String(o.data.length) });
      return void res.end(o.data);
    }
    return error(res, 404, `unknown path ${path}`, 'notFound');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) error(res, 500, String(err), 'backendError');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    stats,
    createBucket: (name) => void buckets.set(name, buckets.get(name) ?? new Map<string, StoredObject>()),
    object: (bucket, name) => buckets.get(bucket)?.get(name),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
