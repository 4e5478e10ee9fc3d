import { InputError } from '@mantle/core/errors';

// Each cloud's naming rules, checked before anything is uploaded: a name the cloud would refuse
// at the end of a 20-minute upload is refused at the start instead.

interface NameRule {
  what: string;
  pattern: RegExp;
  rule: string;
}

const RULES = {
  /** EC2 RegisterImage: 3-128 characters of letters, digits and ( ) [ ] space . / - ' @ _ */
  'aws-image': {
    what: 'AMI name',
    pattern: /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/,
    rule: "3 to 128 characters: letters, digits, ( ) [ ] . / - ' @ _ and spaces ('+' is not allowed: use '-')",
  },
  /** GCE resource names (RFC 1035): lower-case, start with a letter, at most 63 */
  'gce-image': {
    what: 'GCE image name',
    pattern: /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/,
    rule: 'lower-case letters, digits and -, starting with a letter, not ending with -, at most 63 characters',
  },
  /** GCE instance names: the same RFC 1035 rule */
  'gce-instance': {
    what: 'GCE instance name',
    pattern: /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/,
    rule: 'lower-case letters, digits and -, starting with a letter, not ending with -, at most 63 characters',
  },
  /** Azure managed image / gallery names */
  'azure-image': {
    what: 'Azure image name',
    pattern: /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?$/,
    rule: 'letters, digits, _ . and -, starting with a letter or digit, ending with a letter, digit or _, at most 80 characters',
  },
  /** DigitalOcean custom images: a display name; the API refuses empty or over-long ones */
  'do-image': {
    what: 'DigitalOcean image name',
    pattern: /^[A-Za-z0-9](?:[A-Za-z0-9 ._()-]{0,253}[A-Za-z0-9._()-])?$/,
    rule: 'letters, digits, spaces and . _ ( ) -, starting with a letter or digit, at most 255 characters',
  },
  /** Glance image names: up to 255 characters, no control characters */
  'openstack-image': {
    what: 'OpenStack image name',
    pattern: /^[^\s\p{Cc}](?:[^\p{Cc}]{0,253}[^\s\p{Cc}])?$/u,
    rule: 'at most 255 characters, no control characters, no leading or trailing space',
  },
} satisfies Record<string, NameRule>;

export type NameKind = keyof typeof RULES;

/** Refuse a name the cloud's rules would refuse (InputError CLOUD_BAD_NAME, exit 2, naming the flag). */
export function checkCloudName(kind: NameKind, name: string, flag: string): string {
  const r: NameRule = RULES[kind];
  if (r.pattern.test(name)) return name;
  throw new InputError({
    code: 'CLOUD_BAD_NAME',
    message: `${flag} ${JSON.stringify(name)} is not a valid ${r.what}`,
    hint: `use ${r.rule}`,
    details: { flag, value: name, kind },
  });
}
