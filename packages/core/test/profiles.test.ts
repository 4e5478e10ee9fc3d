import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Yargs from 'yargs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addProfileOptions,
  createLogger,
  describeProfile,
  listProfiles,
  loadProfile,
  MantleError,
  profileSelectionFromArgs,
  redactText,
  type PlatformProfiles,
} from '@mantle/core';
import { copyKeys, FIXTURE_KEY_IDS, makeHome, removeAll, SECRET_MARKER } from './profiles-helpers.js';

const homes: string[] = [];
let good: string;
let bad: string;
let empty: string;
let keys: string;

beforeAll(async () => {
  good = await makeHome('good');
  bad = await makeHome('bad');
  empty = await makeHome('empty');
  keys = await copyKeys(empty);
  homes.push(good, bad, empty);
});
afterAll(() => removeAll(homes));

/** Run fn, expect a MantleError, check no secret is in anything it would print, return it. */
async function failure(fn: () => Promise<unknown>): Promise<MantleError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MantleError);
  const err = caught as MantleError;
  const printed = `${err.message}\n${err.hint ?? ''}\n${JSON.stringify(err.toJSON())}`;
  expect(printed).not.toMatch(SECRET_MARKER);
  for (const id of FIXTURE_KEY_IDS) expect(printed).not.toContain(id);
  return err;
}

function noSecrets(value: unknown): void {
  const text = JSON.stringify(value);
  expect(text).not.toMatch(SECRET_MARKER);
  for (const id of FIXTURE_KEY_IDS) expect(text).not.toContain(id);
}

describe('AWS profiles (~/.aws/credentials + ~/.aws/config)', () => {
  it('loads [default] with the region from [default] in config', async () => {
    const c = await loadProfile('aws', { env: {}, homeDir: good });
    expect(c).toMatchObject({
      platform: 'aws',
      profile: 'default',
      source: '~/.aws/credentials',
      accessKeyId: 'AKIAFIXTUREDEFAWXYZ',
      secretAccessKey: 's3cr3t-aws-default-0f9e8d7c6b5a',
      region: 'eu-central-1',
    });
    expect(c.sessionToken).toBeUndefined();
  });

  it('selects by name, by AWS_PROFILE, keeps dotted names whole, and reads [profile NAME] regions', async () => {
    const ci = await loadProfile('aws', { profile: 'ci', env: {}, homeDir: good });
    expect(ci).toMatchObject({
      accessKeyId: 'AKIAFIXTURECIQQ1234',
      sessionToken: 's3cr3t-aws-ci-session-token-77',
      region: 'us-west-2',
    });
    const viaEnv = await loadProfile('aws', { env: { AWS_PROFILE: 'ci' }, homeDir: good });
    expect(viaEnv.profile).toBe('ci');
    expect(viaEnv.accessKeyId).toBe('AKIAFIXTURECIQQ1234');
    const dotted = await loadProfile('aws', { profile: 'build.team', env: {}, homeDir: good });
    expect(dotted.accessKeyId).toBe('AKIAFIXTUREDOT99DOTS');
  });

  it('AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY win unless a profile is given; AWS_REGION beats the profile region', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIAENVIRONMENT0WXYZ',
      AWS_SECRET_ACCESS_KEY: 's3cr3t-env-secret',
      AWS_REGION: 'sa-east-1',
    };
    const c = await loadProfile('aws', { env, homeDir: good });
    expect(c).toMatchObject({
      source: 'environment',
      accessKeyId: 'AKIAENVIRONMENT0WXYZ',
      region: 'sa-east-1',
    });
    const fromDefaultRegion = await loadProfile('aws', {
      env: { ...env, AWS_REGION: '', AWS_DEFAULT_REGION: 'eu-west-3' },
      homeDir: good,
    });
    expect(fromDefaultRegion.region).toBe('eu-west-3');
    const profileRegion = await loadProfile('aws', { env: { ...env, AWS_REGION: undefined }, homeDir: good });
    expect(profileRegion.region).toBe('eu-central-1');
    const explicit = await loadProfile('aws', { profile: 'ci', env, homeDir: good });
    expect(explicit).toMatchObject({
      source: '~/.aws/credentials',
      accessKeyId: 'AKIAFIXTURECIQQ1234',
      region: 'sa-east-1',
    });
  });

  it('follows AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, and --aws-config-file beats both', async () => {
    const elsewhere = join(empty, 'aws-elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await writeFile(
      join(elsewhere, 'creds'),
      '[default]\naws_access_key_id = AKIAELSEWHERE00WXYZ\naws_secret_access_key = s3cr3t-elsewhere\n',
    );
    await writeFile(join(elsewhere, 'conf'), '[default]\nregion = us-east-2\n');
    const env = {
      AWS_SHARED_CREDENTIALS_FILE: join(elsewhere, 'creds'),
      AWS_CONFIG_FILE: join(elsewhere, 'conf'),
    };
    const c = await loadProfile('aws', { env, homeDir: good });
    expect(c).toMatchObject({
      accessKeyId: 'AKIAELSEWHERE00WXYZ',
      region: 'us-east-2',
      sourcePath: join(elsewhere, 'creds'),
    });
    const flag = await loadProfile('aws', {
      env,
      homeDir: good,
      configFile: join(good, '.aws', 'credentials'),
    });
    expect(flag.accessKeyId).toBe('AKIAFIXTUREDEFAWXYZ');
    const missing = await failure(() =>
      loadProfile('aws', { env: { AWS_SHARED_CREDENTIALS_FILE: join(elsewhere, 'nope') }, homeDir: empty }),
    );
    expect(missing.code).toBe('PROFILE_FILE_NOT_FOUND');
    expect(missing.message).toContain('AWS_SHARED_CREDENTIALS_FILE');
    expect(missing.exitCode).toBe(2);
  });

  it('resolves role_arn profiles to their source_profile keys and keeps the role', async () => {
    const c = await loadProfile('aws', { profile: 'deploy', env: {}, homeDir: good });
    expect(c).toMatchObject({
      accessKeyId: 'AKIAFIXTURECIQQ1234',
      roleArn: 'arn:aws:iam::123456789012:role/deployer',
      sourceProfile: 'ci',
      roleSessionName: 'mantle',
      region: 'ap-south-1',
    });
  });

  it('refuses SSO profiles with a way out (exit 2)', async () => {
    const err = await failure(() => loadProfile('aws', { profile: 'sso-user', env: {}, homeDir: good }));
    expect(err.code).toBe('PROFILE_UNSUPPORTED');
    expect(err.message).toBe(
      '~/.aws/config: profile "sso-user" uses AWS SSO (sso_* settings), which mantle does not resolve',
    );
    expect(err.hint).toContain('aws configure export-credentials --profile sso-user');
  });

  it('partially set AWS_* variables are an input error naming what is missing, never the values', async () => {
    const err = await failure(() =>
      loadProfile('aws', { env: { AWS_ACCESS_KEY_ID: 'AKIAFIXTUREBADXWXYZ' }, homeDir: good }),
    );
    expect(err.code).toBe('PROFILE_ENV_INCOMPLETE');
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe('the environment has AWS_ACCESS_KEY_ID but not AWS_SECRET_ACCESS_KEY');
    const tokenOnly = await failure(() =>
      loadProfile('aws', { env: { AWS_SESSION_TOKEN: 's3cr3t-lonely-token' }, homeDir: good }),
    );
    expect(tokenOnly.message).toContain('not AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  });

  it('a missing profile names the profile and the file and lists the profiles there', async () => {
    const err = await failure(() => loadProfile('aws', { profile: 'prod', env: {}, homeDir: good }));
    expect(err.code).toBe('PROFILE_NOT_FOUND');
    expect(err.message).toBe(
      '~/.aws/credentials has no profile "prod"; it has: default, ci, deploy, sso-user, build.team',
    );
    expect(err.hint).toContain('--aws-profile');
  });

  it('no credentials anywhere is a missing prerequisite (exit 3)', async () => {
    const err = await failure(() => loadProfile('aws', { env: {}, homeDir: empty }));
    expect(err.code).toBe('PROFILE_NO_CREDENTIALS');
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('~/.aws/credentials');
  });

  it('a malformed INI file is reported with its path and line, without the line text', async () => {
    const err = await failure(() => loadProfile('aws', { env: {}, homeDir: bad }));
    expect(err.code).toBe('PROFILE_MALFORMED');
    expect(err.message).toBe(
      '~/.aws/credentials: invalid INI: expected "[section]", "key = value" or a comment at line 3, column 1',
    );
    expect(err.details).toMatchObject({ line: 3, file: join(bad, '.aws', 'credentials') });
  });

  it('a profile with one key of the pair names the missing field', async () => {
    const dir = join(empty, 'aws-half');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'credentials'), '[half]\naws_access_key_id = AKIAFIXTUREBADXWXYZ\n');
    const err = await failure(() =>
      loadProfile('aws', { profile: 'half', configFile: join(dir, 'credentials'), env: {}, homeDir: empty }),
    );
    expect(err.code).toBe('PROFILE_INVALID');
    expect(err.message).toBe('~/aws-half/credentials: profile "half" has no field "aws_secret_access_key"');
  });
});

describe('JSON profile files (~/.config/{digitalocean,esx,openstack,packet}.json)', () => {
  it('loads typed credentials with camelCase fields', async () => {
    expect(await loadProfile('packet', { env: {}, homeDir: good })).toMatchObject({
      platform: 'packet',
      profile: 'default',
      apiKey: 's3cr3t-packet-default-key',
      project: 'proj-default',
      source: '~/.config/packet.json',
    });
    expect(await loadProfile('packet', { profile: 'ci', env: {}, homeDir: good })).toMatchObject({
      apiKey: 's3cr3t-packet-ci-key',
    });
    expect(await loadProfile('do', { profile: 'staging', env: {}, homeDir: good })).toMatchObject({
      token: 's3cr3t-do-token-staging-xyz',
    });
    expect(await loadProfile('esx', { env: {}, homeDir: good })).toMatchObject({
      server: 'esx.example.invalid',
      user: 'root',
      staticIps: 8,
      subnetSize: 24,
      firstStaticIp: '10.0.0.10',
    });
    expect(await loadProfile('openstack', { env: {}, homeDir: good })).toMatchObject({
      authUrl: 'https://keystone.example.invalid:5000/v3',
      tenantName: 'mantle',
      userDomain: 'Default',
      regionName: 'RegionOne',
      floatingIpPool: 'public',
    });
  });

  it('reads ~/.config/equinixmetal.json when packet.json does not exist; --packet-config-file wins', async () => {
    const home = await makeHome('empty');
    homes.push(home);
    await mkdir(join(home, '.config'));
    await copyFile(join(good, '.config', 'packet.json'), join(home, '.config', 'equinixmetal.json'));
    const c = await loadProfile('packet', { env: {}, homeDir: home });
    expect(c.source).toBe('~/.config/equinixmetal.json');
    const flagged = await loadProfile('packet', {
      configFile: join(good, '.config', 'packet.json'),
      profile: 'ci',
      env: {},
      homeDir: home,
    });
    expect(flagged.project).toBe('proj-ci');
  });

  it('names the file, the profile and the missing field', async () => {
    const err = await failure(() => loadProfile('packet', { profile: 'ci', env: {}, homeDir: bad }));
    expect(err.code).toBe('PROFILE_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe('~/.config/packet.json: profile "ci" has no field "api_key"');
  });

  it('names wrong field types without printing values', async () => {
    const err = await failure(() => loadProfile('packet', { env: {}, homeDir: bad }));
    expect(err.message).toBe(
      '~/.config/packet.json: profile "default" field "api_key" must be a string, got a number; field "project" must be a string, got an array',
    );
    const empty = await failure(() => loadProfile('esx', { profile: 'lab', env: {}, homeDir: bad }));
    expect(empty.message).toBe('~/.config/esx.json: profile "lab" field "password" is empty');
    const missing = await failure(() => loadProfile('esx', { env: {}, homeDir: bad }));
    expect(missing.message).toBe('~/.config/esx.json: profile "default" has no field "password"');
  });

  it('a missing profile lists the existing ones', async () => {
    const err = await failure(() => loadProfile('do', { profile: 'prod', env: {}, homeDir: good }));
    expect(err.code).toBe('PROFILE_NOT_FOUND');
    expect(err.message).toBe('~/.config/digitalocean.json has no profile "prod"; it has: default, staging');
    expect(err.hint).toBe('pass --do-profile with one of: default, staging');
  });

  it('invalid JSON names the file, line and column but never quotes the text', async () => {
    const err = await failure(() => loadProfile('do', { env: {}, homeDir: bad }));
    expect(err.code).toBe('PROFILE_MALFORMED');
    expect(err.message).toBe(
      '~/.config/digitalocean.json: invalid JSON: expected a property name (no trailing comma) at line 4, column 3',
    );
    const notMap = await failure(() => loadProfile('openstack', { env: {}, homeDir: bad }));
    expect(notMap.message).toBe(
      '~/.config/openstack.json: expected a JSON object mapping profile names to settings, got an array',
    );
  });

  it('a missing default file is exit 3; a missing --config-file is exit 2', async () => {
    const none = await failure(() => loadProfile('esx', { env: {}, homeDir: empty }));
    expect(none.exitCode).toBe(3);
    expect(none.hint).toContain('--esx-config-file');
    const flag = await failure(() =>
      loadProfile('esx', { configFile: '~/nope.json', env: {}, homeDir: empty }),
    );
    expect(flag.exitCode).toBe(2);
    expect(flag.message).toBe('~/nope.json (from --esx-config-file) does not exist');
  });
});

describe('Azure credentials', () => {
  it('reads ~/.azure/credentials.json (the SDK auth file) as the default profile', async () => {
    const c = await loadProfile('azure', { env: {}, homeDir: good });
    expect(c).toMatchObject({
      platform: 'azure',
      profile: 'default',
      clientId: '11111111-2222-3333-4444-555555550001',
      clientSecret: 's3cr3t-azure-client-secret-Q~x',
      tenantId: '99999999-8888-7777-6666-555555550001',
      subscriptionId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeee0001',
      resourceManagerEndpointUrl: 'https://management.azure.com/',
      source: '~/.azure/credentials.json',
    });
  });

  it('AZURE_AUTH_LOCATION points at the auth file; a profile picks a subscription from azureProfile.json (BOM and all)', async () => {
    const authFile = join(empty, 'sp.json');
    await copyFile(join(good, '.azure', 'credentials.json'), authFile);
    const c = await loadProfile('azure', {
      profile: 'Testing',
      env: { AZURE_AUTH_LOCATION: authFile },
      homeDir: good,
    });
    expect(c).toMatchObject({
      subscriptionId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeee0002',
      subscriptionName: 'Testing',
      sourcePath: authFile,
    });
    const err = await failure(() => loadProfile('azure', { profile: 'Nope', env: {}, homeDir: good }));
    expect(err.code).toBe('PROFILE_NOT_FOUND');
    expect(err.message).toBe('~/.azure/azureProfile.json has no profile "Nope"; it has: Main, Testing');
  });

  it('uses AZURE_CLIENT_ID/SECRET/TENANT/SUBSCRIPTION_ID and reports a partial set', async () => {
    const env = {
      AZURE_CLIENT_ID: 'cid-0000-1111',
      AZURE_CLIENT_SECRET: 's3cr3t-env-azure',
      AZURE_TENANT_ID: 'tid-0000-2222',
      AZURE_SUBSCRIPTION_ID: 'sid-0000-3333',
    };
    const c = await loadProfile('azure', { env, homeDir: empty });
    expect(c).toMatchObject({
      source: 'environment',
      clientId: 'cid-0000-1111',
      subscriptionId: 'sid-0000-3333',
    });
    const partial = await failure(() =>
      loadProfile('azure', { env: { AZURE_CLIENT_ID: 'cid-0000-1111' }, homeDir: good }),
    );
    expect(partial.code).toBe('PROFILE_ENV_INCOMPLETE');
    expect(partial.message).toBe(
      'the environment sets some Azure credentials but not AZURE_CLIENT_SECRET and AZURE_TENANT_ID',
    );
    const noSub = await failure(() =>
      loadProfile('azure', { env: { ...env, AZURE_SUBSCRIPTION_ID: undefined }, homeDir: empty }),
    );
    expect(noSub.message).toContain('AZURE_SUBSCRIPTION_ID');
  });

  it('an auth file without tenantId names the field; no credentials at all is exit 3', async () => {
    const err = await failure(() => loadProfile('azure', { env: {}, homeDir: bad }));
    expect(err.message).toBe('~/.azure/credentials.json: profile "default" has no field "tenantId"');
    const none = await failure(() => loadProfile('azure', { env: {}, homeDir: empty }));
    expect(none.exitCode).toBe(3);
    expect(none.code).toBe('PROFILE_NO_CREDENTIALS');
  });
});

describe('GCE service-account keys', () => {
  it('loads a key from --gce-json-key or GOOGLE_APPLICATION_CREDENTIALS', async () => {
    const file = join(keys, 'gce-service-account.json');
    const c = await loadProfile('gce', { configFile: file, env: {}, homeDir: empty });
    expect(c).toMatchObject({
      platform: 'gce',
      projectId: 'mantle-fixture',
      clientEmail: 'kola@mantle-fixture.iam.gserviceaccount.com',
      keyFile: file,
    });
    expect(c.privateKey).toContain('BEGIN PRIVATE KEY');
    expect(c.json.type).toBe('service_account');
    const viaEnv = await loadProfile('gce', {
      env: { GOOGLE_APPLICATION_CREDENTIALS: file },
      homeDir: empty,
    });
    expect(viaEnv.projectId).toBe('mantle-fixture');
  });

  it('a key without private_key, or a user login instead of a service account, is rejected by field', async () => {
    const err = await failure(() =>
      loadProfile('gce', { configFile: join(keys, 'gce-no-private-key.json'), env: {}, homeDir: empty }),
    );
    expect(err.code).toBe('PROFILE_INVALID');
    expect(err.message).toBe('~/keys/gce-no-private-key.json: profile "default" has no field "private_key"');
    const user = await failure(() =>
      loadProfile('gce', { configFile: join(keys, 'gce-authorized-user.json'), env: {}, homeDir: empty }),
    );
    expect(user.message).toContain('field "type" must be "service_account", got "authorized_user"');
  });

  it('has no named profiles, and nothing configured is exit 3', async () => {
    const named = await failure(() => loadProfile('gce', { profile: 'x', env: {}, homeDir: empty }));
    expect(named.code).toBe('PROFILE_NOT_FOUND');
    const none = await failure(() => loadProfile('gce', { env: {}, homeDir: empty }));
    expect(none.exitCode).toBe(3);
  });
});

describe('redaction', () => {
  it('describeProfile masks secrets and shows at most the last 4 characters of key ids', async () => {
    const d = describeProfile(await loadProfile('aws', { profile: 'ci', env: {}, homeDir: good }));
    expect(d).toEqual({
      platform: 'aws',
      label: 'AWS',
      profile: 'ci',
      source: '~/.aws/credentials',
      fields: {
        aws_access_key_id: 'AKIA****1234',
        aws_secret_access_key: '***',
        aws_session_token: '***',
        region: 'us-west-2',
      },
    });
    const gce = describeProfile(
      await loadProfile('gce', {
        configFile: join(keys, 'gce-service-account.json'),
        env: {},
        homeDir: empty,
      }),
    );
    expect(gce.fields.private_key).toBe('***');
    expect(gce.fields.private_key_id).toBe('****4567');
    for (const p of ['azure', 'do', 'esx', 'openstack', 'packet'] as const) {
      noSecrets(describeProfile(await loadProfile(p, { env: {}, homeDir: good })));
    }
  });

  it('every loaded secret is registered: log lines and redactText mask it', async () => {
    await loadProfile('esx', { env: {}, homeDir: good });
    const lines: string[] = [];
    const logger = createLogger({
      stream: { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream,
    });
    logger.info('connecting with s3cr3t-esx-password-1 now');
    expect(lines.join('')).toBe('connecting with *** now\n');
    await listProfiles({ env: {}, homeDir: bad });
    // a secret from a profile that is not even usable is registered too
    expect(redactText('x s3cr3t-azure-bad-missing-tenant y')).toBe('x *** y');
    expect(redactText('key s3cr3t-packet-ok-key')).toBe('key ***');
  });
});

describe('listProfiles', () => {
  const byPlatform = (list: PlatformProfiles[], p: string): PlatformProfiles => {
    const found = list.find((x) => x.platform === p);
    if (!found) throw new Error(`no ${p}`);
    return found;
  };

  it('lists every platform with usable profiles and masked summaries', async () => {
    const list = await listProfiles({
      env: { GOOGLE_APPLICATION_CREDENTIALS: join(keys, 'gce-service-account.json') },
      homeDir: good,
    });
    expect(list.map((p) => p.platform)).toEqual(['aws', 'azure', 'gce', 'do', 'esx', 'openstack', 'packet']);
    noSecrets(list);
    const aws = byPlatform(list, 'aws');
    expect(aws.profiles.map((p) => [p.name, p.usable])).toEqual([
      ['default', true],
      ['ci', true],
      ['deploy', true],
      ['sso-user', false],
      ['build.team', true],
    ]);
    expect(aws.profiles[0]?.summary).toEqual({
      aws_access_key_id: 'AKIA****WXYZ',
      aws_secret_access_key: '***',
      region: 'eu-central-1',
    });
    expect(byPlatform(list, 'azure').profiles.map((p) => [p.name, p.usable, p.source])).toEqual([
      ['default', true, '~/.azure/credentials.json'],
      ['Main', true, '~/.azure/azureProfile.json'],
      ['Testing', true, '~/.azure/azureProfile.json'],
    ]);
    expect(byPlatform(list, 'gce').profiles).toHaveLength(1);
    expect(byPlatform(list, 'packet').profiles.every((p) => p.usable)).toBe(true);
    for (const p of list) expect(p.errors).toEqual([]);
  });

  it('reports malformed files by path and line and still lists everything else', async () => {
    const list = await listProfiles({ env: {}, homeDir: bad });
    noSecrets(list);
    expect(byPlatform(list, 'aws').errors).toEqual([
      {
        source: '~/.aws/credentials',
        code: 'PROFILE_MALFORMED',
        message:
          '~/.aws/credentials: invalid INI: expected "[section]", "key = value" or a comment at line 3, column 1',
        line: 3,
        column: 1,
      },
    ]);
    expect(byPlatform(list, 'do').errors[0]).toMatchObject({ code: 'PROFILE_MALFORMED', line: 4, column: 3 });
    expect(byPlatform(list, 'openstack').errors[0]?.code).toBe('PROFILE_MALFORMED');
    const packet = byPlatform(list, 'packet');
    expect(packet.profiles.map((p) => [p.name, p.usable, p.missing])).toEqual([
      ['default', false, []],
      ['ci', false, ['api_key']],
      ['ok', true, []],
    ]);
    expect(packet.profiles[0]?.problems).toEqual([
      'field "api_key" must be a string, got a number',
      'field "project" must be a string, got an array',
    ]);
    expect(packet.profiles[0]?.summary).toEqual({ api_key: '(invalid)', project: '["a"]' });
    const esx = byPlatform(list, 'esx');
    expect(esx.profiles.map((p) => [p.name, p.missing])).toEqual([
      ['default', ['password']],
      ['lab', ['password']],
    ]);
    expect(byPlatform(list, 'azure').profiles[0]).toMatchObject({
      name: 'default',
      usable: false,
      missing: ['tenantId'],
    });
  });

  it('reports partial environment credentials and a world-readable file', async () => {
    const home = await makeHome('good');
    homes.push(home);
    const { chmod } = await import('node:fs/promises');
    await chmod(join(home, '.config', 'packet.json'), 0o644);
    const list = await listProfiles({
      env: { AWS_SECRET_ACCESS_KEY: 's3cr3t-only-secret' },
      homeDir: home,
      platforms: ['aws', 'packet'],
    });
    noSecrets(list);
    expect(list.map((p) => p.platform)).toEqual(['aws', 'packet']);
    expect(byPlatform(list, 'aws').profiles[0]).toMatchObject({
      name: 'default (environment)',
      usable: false,
      missing: ['AWS_ACCESS_KEY_ID'],
    });
    expect(byPlatform(list, 'packet').warnings).toEqual([
      '~/.config/packet.json is accessible by other users (mode 644); run: chmod 600 ~/.config/packet.json',
    ]);
    await rm(home, { recursive: true, force: true });
  });
});

describe('addProfileOptions', () => {
  it('adds --<platform>-profile/--<platform>-config-file (and Go mantle aliases) without defaults', async () => {
    const parse = async (argv: string[]): Promise<Record<string, unknown>> =>
      await addProfileOptions(Yargs(argv).strict().exitProcess(false).fail(false), [
        'aws',
        'gce',
        'packet',
      ]).parse();
    const args = await parse([
      '--packet-profile',
      'ci',
      '--gce-json-key',
      '/k.json',
      '--aws-credentials-file',
      '/c',
    ]);
    expect(profileSelectionFromArgs(args, 'packet')).toEqual({ profile: 'ci' });
    expect(profileSelectionFromArgs(args, 'gce')).toEqual({ configFile: '/k.json' });
    expect(profileSelectionFromArgs(args, 'aws')).toEqual({ configFile: '/c' });
    const none = await parse([]);
    expect(profileSelectionFromArgs(none, 'aws')).toEqual({});
    await expect(parse(['--do-profile', 'x'])).rejects.toThrow(/Unknown argument/);
  });
});
