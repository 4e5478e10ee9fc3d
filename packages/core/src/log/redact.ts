/** Keys whose values are secrets wherever they appear in an object. */
const SECRET_KEY =
  /(secret|password|passwd|token|api[_-]?key|private[_-]?key|access[_-]?key|credential|session[_-]?key|sas|signature|auth)/i;

const MASK = '***';

const registered = new Set<string>();

/** Remember a secret value so every later redaction masks it wherever it appears in text. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) registered.add(value);
}

/** Mask a secret for display: keeps nothing but a hint of its length class. */
export function maskSecret(value: string | undefined | null): string {
  if (!value) return '';
  return MASK;
}

/** Replace every registered secret (and `key=value` secrets) in free text. */
export function redactText(text: string): string {
  let out = text;
  for (const secret of registered) out = out.split(secret).join(MASK);
  // query-string style secrets such as X-Amz-Signature=..., sig=..., password=...
  out = out.replace(
    /\b((?:x-amz-)?(?:signature|sig|password|token|secret|credential)[A-Za-z_-]*)=([^&\s"']+)/gi,
    `$1=${MASK}`,
  );
  return out;
}

/** Deep-copy a value with secret-looking keys masked and registered secrets removed from strings. */
export function redact<T>(value: T): T {
  return redactValue(value, undefined) as T;
}

function redactValue(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') return key && SECRET_KEY.test(key) ? maskSecret(value) : redactText(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, key));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, k);
    return out;
  }
  return value;
}
