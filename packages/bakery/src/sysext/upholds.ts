import { InputError } from '@mantle/core/errors';

// Services in a sysext start through drop-ins on a target: [Unit] Upholds=UNIT. systemd keeps an
// upheld unit running while the target is active, and unlike .wants symlinks this works when the
// extension is merged after boot.

/** One unit a target upholds. */
export interface Uphold {
  unit: string;
  target: string;
}

const UNIT_RE =
  /^[A-Za-z0-9:_.\\@-]+\.(service|socket|timer|path|mount|automount|swap|target|slice|scope|device)$/;

/** The target that usually starts a unit of this type (sockets.target for .socket, ...). */
export function defaultTargetFor(unit: string): string {
  if (unit.endsWith('.socket')) return 'sockets.target';
  if (unit.endsWith('.timer')) return 'timers.target';
  if (unit.endsWith('.path')) return 'paths.target';
  return 'multi-user.target';
}

/** Parse `--upholds` values: UNIT (target by unit type) or TARGET:UNIT (e.g. sockets.target:docker.socket). */
export function parseUpholds(values: readonly string[], what = '--upholds'): Uphold[] {
  const out: Uphold[] = [];
  for (const raw of values) {
    let target: string | undefined;
    let unit = raw;
    const m = /^([^:]+\.target):(.+)$/.exec(raw);
    if (m) {
      target = m[1]!;
      unit = m[2]!;
    }
    if (!UNIT_RE.test(unit) || (target !== undefined && !UNIT_RE.test(target))) {
      throw new InputError({
        code: 'BAD_UNIT',
        message: `${what} ${JSON.stringify(raw)} is not a unit name`,
        hint: 'give a unit like docker.service, or TARGET:UNIT like sockets.target:docker.socket',
        details: { field: what, value: raw },
      });
    }
    const u = { unit, target: target ?? defaultTargetFor(unit) };
    if (!out.some((o) => o.unit === u.unit && o.target === u.target)) out.push(u);
  }
  return out;
}

/** The drop-in path (relative to the image root) for one uphold, e.g. usr/lib/systemd/system/sockets.target.d/10-docker-socket.conf. */
export function upholdDropInPath(u: Uphold): string {
  return `usr/lib/systemd/system/${u.target}.d/10-${u.unit.replace(/\./g, '-')}.conf`;
}

/** The drop-in text for one uphold. */
export function upholdDropIn(u: Uphold): string {
  return `[Unit]\nUpholds=${u.unit}\n`;
}

/** The Upholds= a drop-in (or unit) text declares. */
export function parseUpholdsLines(text: string): string[] {
  const out: string[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    const t = line.trim();
    const s = /^\[(.+)\]$/.exec(t);
    if (s) {
      section = s[1]!;
      continue;
    }
    const m = /^Upholds\s*=\s*(.*)$/.exec(t);
    if (m && section === 'Unit') out.push(...m[1]!.split(/\s+/).filter(Boolean));
  }
  return out;
}
