import type { Machine } from '../platform/types.js';

/** What kola learns about the image from a booted machine. */
export interface ImageInfo {
  /** os-release ID, e.g. flatcar, mantle-tiny */
  id?: string;
  /** os-release VERSION_ID, compared against minVersion/endVersion */
  versionId?: string;
  /** os-release PRETTY_NAME */
  prettyName?: string;
}

/** Parse os-release text (KEY=value lines, values optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m?.[1]) continue;
    let v = m[2] ?? '';
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) v = v.slice(1, -1);
    out[m[1]] = v.replace(/\\(["'$`\\])/g, '$1');
  }
  return out;
}

/** Read /usr/lib/os-release (or /etc/os-release) from a machine. */
export async function probeImageInfo(machine: Machine): Promise<ImageInfo> {
  const r = await machine.ssh('cat /usr/lib/os-release 2>/dev/null || cat /etc/os-release', {
    timeoutMs: 30_000,
  });
  if (r.exitCode !== 0) throw new Error(`reading os-release on ${machine.id} failed: ${r.stderr.trim()}`);
  const kv = parseOsRelease(r.stdout);
  const info: ImageInfo = {};
  if (kv.ID) info.id = kv.ID;
  if (kv.VERSION_ID) info.versionId = kv.VERSION_ID;
  if (kv.PRETTY_NAME) info.prettyName = kv.PRETTY_NAME;
  return info;
}
