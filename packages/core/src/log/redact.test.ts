import { describe, expect, it } from 'vitest';
import { redact, redactText, registerSecret } from './redact.js';

describe('redact', () => {
  it('masks secret-looking keys at any depth', () => {
    const out = redact({
      profile: 'ci',
      aws: { secretAccessKey: 'abc', accessKeyId: 'AKIA1' },
      list: [{ password: 'p' }],
    });
    expect(out).toEqual({
      profile: 'ci',
      aws: { secretAccessKey: '***', accessKeyId: '***' },
      list: [{ password: '***' }],
    });
  });

  it('removes registered secrets and signed-URL parameters from text', () => {
    registerSecret('s3cr3t-value');
    expect(redactText('token is s3cr3t-value here')).toBe('token is *** here');
    expect(redactText('https://x/y?X-Amz-Signature=deadbeef&a=1')).toBe(
      'https://x/y?X-Amz-Signature=***&a=1',
    );
  });
});
