// packages.txt as metal-images publishes it: what `dpkg -l` prints, made from the rootfs's
// var/lib/dpkg/status (no dpkg and no chroot needed).

/** The path of dpkg's database in a rootfs tarball. */
export const DPKG_STATUS = 'var/lib/dpkg/status';

export interface DpkgPackage {
  name: string;
  version: string;
  architecture: string;
  description: string;
  /** dpkg -l's two status letters, e.g. ii */
  state: string;
}

const WANT: Record<string, string> = { unknown: 'u', install: 'i', hold: 'h', deinstall: 'r', purge: 'p' };
const STATUS: Record<string, string> = {
  'not-installed': 'n',
  installed: 'i',
  'config-files': 'c',
  unpacked: 'U',
  'half-configured': 'F',
  'half-installed': 'H',
  'triggers-awaited': 'W',
  'triggers-pending': 't',
};

/** Parse dpkg's status file (RFC 822-style stanzas). */
export function parseDpkgStatus(text: string): DpkgPackage[] {
  const out: DpkgPackage[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const f: Record<string, string> = {};
    for (const line of stanza.split('\n')) {
      if (/^\s/.test(line)) continue; // continuation lines (long descriptions, conffiles)
      const m = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
      if (m) f[m[1]!.toLowerCase()] = m[2]!;
    }
    if (!f.package) continue;
    const [want = 'unknown', , status = 'not-installed'] = (f.status ?? '').split(/\s+/);
    out.push({
      name: f.package,
      version: f.version ?? '',
      architecture: f.architecture ?? '',
      description: f.description ?? '',
      state: `${WANT[want] ?? 'u'}${STATUS[status] ?? 'n'}`,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Format packages as `dpkg -l` does (its header, then one row each; installed ones only show as ii). */
export function formatDpkgList(pkgs: DpkgPackage[]): string {
  const listed = pkgs.filter((p) => p.state !== 'un' && p.state !== 'pn');
  const w = (k: 'name' | 'version' | 'architecture', min: number): number =>
    Math.max(min, ...listed.map((p) => p[k].length));
  const [wn, wv, wa] = [w('name', 14), w('version', 12), w('architecture', 12)];
  const row = (st: string, n: string, v: string, a: string, d: string): string =>
    `${st.padEnd(3)} ${n.padEnd(wn)} ${v.padEnd(wv)} ${a.padEnd(wa)} ${d}`.trimEnd();
  return [
    'Desired=Unknown/Install/Remove/Purge/Hold',
    '| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend',
    '|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)',
    row('||/', 'Name', 'Version', 'Architecture', 'Description'),
    `+++-${'='.repeat(wn)}-${'='.repeat(wv)}-${'='.repeat(wa)}-${'='.repeat(40)}`,
    ...listed.map((p) => row(p.state, p.name, p.version, p.architecture, p.description)),
    '',
  ].join('\n');
}
