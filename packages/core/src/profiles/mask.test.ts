import { describe, expect, it } from 'vitest';
import { maskIdentifier } from './mask.js';
import { checkFields, summarizeRecord, type FieldSpec } from './fields.js';

const fields: FieldSpec[] = [
  { key: 'id', prop: 'id', type: 'string', required: true, kind: 'id' },
  { key: 'secret', prop: 'secret', type: 'string', required: true, kind: 'secret' },
  { key: 'n', prop: 'count', type: 'number', required: false, kind: 'plain' },
];

describe('masking and field checks', () => {
  it('shows at most the last 4 characters of identifiers (plus a known AWS key-type prefix)', () => {
    expect(maskIdentifier('AKIAIOSFODNN7EXAMPLE')).toBe('AKIA****MPLE');
    expect(maskIdentifier('11111111-2222-3333-4444-555555550001')).toBe('****0001');
    expect(maskIdentifier('short')).toBe('****');
  });

  it('summaries never contain secret values', () => {
    expect(
      summarizeRecord({ id: 'ASIAXXXXXXXXXXXX9876', secret: 'hunter2hunter2', n: 3, other: 'x' }, fields),
    ).toEqual({
      id: 'ASIA****9876',
      secret: '***',
      n: '3',
    });
  });

  it('maps keys to props and explains every problem', () => {
    expect(checkFields({ id: 'a', secret: 'b', n: 2 }, fields).value).toEqual({
      id: 'a',
      secret: 'b',
      count: 2,
    });
    expect(checkFields({ secret: 5, n: 'x' }, fields)).toEqual({
      missing: ['id'],
      problems: [
        'has no field "id"',
        'field "secret" must be a string, got a number',
        'field "n" must be a number, got a string',
      ],
    });
    expect(checkFields('nope', fields).problems).toEqual(['must be an object of settings, got a string']);
  });
});
