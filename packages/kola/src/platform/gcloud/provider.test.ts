import { describe, expect, it } from 'vitest';
import { runTags } from '../cloud/provider.js';
import { gceLabels } from './provider.js';

describe('gceLabels', () => {
  it('turns run tags into labels GCE accepts: kebab keys, dates as Unix seconds, no Name', () => {
    const tags = {
      ...runTags('kola-20261207-1524-f7aac3', new Date('2026-12-07T15:24:00Z'), 3_600_000),
      Name: 'kola-f7aac3-1',
      KolaCluster: 'Basic.SSH/x',
    };
    expect(gceLabels(tags)).toEqual({
      'created-by': 'mantle',
      'kola-run-id': 'kola-20261207-1524-f7aac3',
      'created-at': String(Date.parse('2026-12-07T15:24:00Z') / 1000),
      'expires-at': String(Date.parse('2026-12-07T16:24:00Z') / 1000),
      'kola-cluster': 'basic-ssh-x',
    });
  });
});
