import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type RunResult } from '@mantle/core';
import { copyKeys, FIXTURE_KEY_IDS, makeHome, removeAll, SECRET_MARKER } from './profiles-helpers.js';

// The real, built `ore` bin (the suite's entry script builds every package first).
const ORE = fileURLToPath(new URL('../../ore/dist/cli.js', import.meta.url));

const homes: string[] = [];
let good: string;
let bad: string;
let keyFile: string;

beforeAll(async () => {
  if (!existsSync(ORE))
    throw new Error(`${ORE} is missing: run 'pnpm --filter @mantle/core --filter @mantle/ore build' first`);
  good = await makeHome('good');
  bad = await makeHome('bad');
  homes.push(good, bad);
  keyFile = join(await copyKeys(good), 'gce-service-account.json');
});
afterAll(() => removeAll(homes));

async function ore(home: string, args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> {
  // A minimal environment: nothing from the developer's own AWS_*/AZURE_* variables leaks in.
  const env = { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', ...extraEnv };
  const res = await run(process.execPath, [ORE, ...args], { env, reject: false, timeoutMs: 60_000 });
  const all = res.stdout + res.stderr;
  expect(all).not.toMatch(SECRET_MARKER);
  for (const id of FIXTURE_KEY_IDS) expect(all).not.toContain(id);
  return res;
}

describe('ore profiles list (built bin, HOME = fixture dir)', () => {
  it('prints a PLATFORM PROFILE SOURCE STATUS table, exit 0', async () => {
    const res = await ore(good, ['profiles', 'list'], { GOOGLE_APPLICATION_CREDENTIALS: keyFile });
    expect(res.exitCode).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PLATFORM\s+PROFILE\s+SOURCE\s+STATUS$/);
    const rows = lines.slice(1).map((l) => l.split(/\s{2,}/));
    expect(rows).toContainEqual(['aws', 'default', '~/.aws/credentials', 'ok']);
    expect(rows).toContainEqual(['aws', 'deploy', '~/.aws/config', 'ok']);
    expect(rows).toContainEqual(['packet', 'ci', '~/.config/packet.json', 'ok']);
    expect(rows).toContainEqual(['azure', 'Testing', '~/.azure/azureProfile.json', 'ok']);
    expect(rows).toContainEqual(['gce', 'default', '~/keys/gce-service-account.json', 'ok']);
    const sso = rows.find((r) => r[1] === 'sso-user');
    expect(sso?.[3]).toMatch(/^invalid: .*AWS SSO/);
  });

  it('--json returns the data with masked summaries', async () => {
    const res = await ore(good, ['profiles', 'list', '--json']);
    expect(res.exitCode).toBe(0);
    const data = JSON.parse(res.stdout) as {
      platforms: { platform: string; profiles: { name: string; summary: Record<string, string> }[] }[];
    };
    expect(data.platforms).toHaveLength(7);
    const aws = data.platforms.find((p) => p.platform === 'aws');
    expect(aws?.profiles.find((p) => p.name === 'ci')?.summary).toEqual({
      aws_access_key_id: 'AKIA****1234',
      aws_secret_access_key: '***',
      aws_session_token: '***',
      region: 'us-west-2',
    });
  });

  it('reports malformed files in their rows and still exits 0', async () => {
    const res = await ore(bad, ['profiles', 'list']);
    expect(res.exitCode).toBe(0);
    const rows = res.stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s{2,}/));
    expect(rows).toContainEqual([
      'do',
      '-',
      '~/.config/digitalocean.json',
      'error: invalid JSON: expected a property name (no trailing comma) at line 4, column 3',
    ]);
    expect(rows).toContainEqual([
      'aws',
      '-',
      '~/.aws/credentials',
      'error: invalid INI: expected "[section]", "key = value" or a comment at line 3, column 1',
    ]);
    expect(rows).toContainEqual(['packet', 'ci', '~/.config/packet.json', 'missing api_key']);
    expect(rows).toContainEqual(['packet', 'ok', '~/.config/packet.json', 'ok']);
    expect(rows).toContainEqual(['esx', 'default', '~/.config/esx.json', 'missing password']);
    expect(rows).toContainEqual([
      'gce',
      '-',
      '~/.config/gcloud/application_default_credentials.json',
      'not configured',
    ]);
  });

  it('--platform and --<platform>-config-file narrow the listing', async () => {
    const res = await ore(bad, [
      'profiles',
      'list',
      '--platform',
      'packet',
      '--packet-config-file',
      join(good, '.config', 'packet.json'),
      '--json',
    ]);
    expect(res.exitCode).toBe(0);
    const data = JSON.parse(res.stdout) as {
      platforms: { platform: string; profiles: { name: string; usable: boolean }[] }[];
    };
    expect(data.platforms.map((p) => p.platform)).toEqual(['packet']);
    expect(data.platforms[0]?.profiles.map((p) => [p.name, p.usable])).toEqual([
      ['default', true],
      ['ci', true],
    ]);
  });

  it('bad flags exit 2', async () => {
    expect((await ore(good, ['profiles', 'list', '--platform', 'nope'])).exitCode).toBe(2);
    expect((await ore(good, ['profiles', 'list', '--no-such-flag'])).exitCode).toBe(2);
    const none = await ore(good, ['profiles']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('a subcommand is required');
  });
});
