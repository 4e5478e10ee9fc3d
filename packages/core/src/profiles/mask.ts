import { maskSecret } from '../log/redact.js';

// Well-known AWS key id prefixes: they say what kind of key it is and are not secret.
const KNOWN_ID_PREFIX = /^(AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|APKA|ABIA|ACCA)/;

/** Mask an identifier such as an access key id: at most its last 4 characters (plus a known type prefix) stay. */
export function maskIdentifier(value: string): string {
  if (value.length <= 8) return '****';
  const prefix = KNOWN_ID_PREFIX.exec(value)?.[1] ?? '';
  return `${prefix}****${value.slice(-4)}`;
}

/** Mask a secret completely: only whether it is set shows. */
export function maskSecretValue(value: string): string {
  return maskSecret(value) || '(empty)';
}
