import { InputError } from '@mantle/core/errors';
import { checkName } from '../sysext/names.js';

// systemd-sysupdate reads /etc/sysupdate.NAME.d/*.transfer (*.conf before systemd 257) and
// updates /opt/extensions/NAME from SHA256SUMS at Path=. With only component directories and no
// definition in /etc/sysupdate.d/, `systemd-sysupdate` without -C complains, so sysext-bakery
// ships a noop transfer there whose pattern can never match.

export interface TransferOptions {
  name: string;
  /** where SHA256SUMS and the images are served (http or https) */
  baseUrl: string;
  /** default NAME-@v-%a.raw */
  matchPattern?: string;
  /** Verify= (SHA256SUMS.gpg against the host keyring); default false, as sysext-bakery */
  verify?: boolean;
  /** InstancesMax=; default 3 */
  instancesMax?: number;
}

/** A transfer definition for one extension. */
export function transferFile(opts: TransferOptions): string {
  const name = checkName(opts.name, 'NAME');
  if (!/^https?:\/\/[^/\s]+/.test(opts.baseUrl) || /\s/.test(opts.baseUrl)) {
    throw new InputError({
      code: 'BAD_URL',
      message: `--base-url ${JSON.stringify(opts.baseUrl)} is not an http(s) URL`,
      hint: 'systemd-sysupdate url-file sources are http:// or https://, e.g. https://example.com/sysexts/',
      details: { field: '--base-url' },
    });
  }
  const pattern = opts.matchPattern ?? `${name}-@v-%a.raw`;
  if (!pattern.includes('@v') || pattern.includes('/') || /\s/.test(pattern)) {
    throw new InputError({
      code: 'BAD_PATTERN',
      message: `--match-pattern ${JSON.stringify(pattern)} must contain @v and no slash or space`,
      hint: `e.g. ${name}-@v-%a.raw`,
      details: { field: '--match-pattern' },
    });
  }
  const instances = opts.instancesMax ?? 3;
  if (!Number.isInteger(instances) || instances < 2) {
    throw new InputError({
      code: 'BAD_USAGE',
      message: `--instances-max ${instances} must be a whole number ≥ 2`,
      hint: 'sysupdate keeps the current and at least one new instance',
      details: { field: '--instances-max' },
    });
  }
  const base = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
  return [
    '[Transfer]',
    `Verify=${opts.verify ? 'true' : 'false'}`,
    '',
    '[Source]',
    'Type=url-file',
    `Path=${base}`,
    `MatchPattern=${pattern}`,
    '',
    '[Target]',
    `InstancesMax=${instances}`,
    'Type=regular-file',
    `Path=/opt/extensions/${name}`,
    `MatchPattern=${pattern}`,
    `CurrentSymlink=/etc/extensions/${name}.raw`,
    '',
  ].join('\n');
}

/** The noop transfer for /etc/sysupdate.d/ (a pattern that never matches). */
export function noopTransferFile(): string {
  return [
    '[Source]',
    'Type=regular-file',
    'Path=/',
    'MatchPattern=invalid@v.raw',
    '',
    '[Target]',
    'Type=regular-file',
    'Path=/',
    '',
  ].join('\n');
}

/** Parse the keys of a transfer file ([Section] Key=Value) for tests and `bake`. */
export function parseTransfer(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      out[section] ??= {};
      continue;
    }
    const i = line.indexOf('=');
    if (i > 0) (out[section] ??= {})[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}
