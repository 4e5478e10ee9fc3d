// One table describes both formats: every Ignition 3.0–3.4 key, the Butane key it comes
// from, its type, the spec version that introduced it, and Butane's own sugar. The Butane
// translator, the Ignition validator and the canonical renderer all walk this table, so a
// field added here is parsed, checked and rendered everywhere at once.
import type { IgnitionMinor } from './versions.js';

/** The type of a config value. */
export type FieldType =
  | { kind: 'string' }
  | { kind: 'boolean' }
  | { kind: 'integer' }
  | { kind: 'object'; fields: readonly Field[] }
  | { kind: 'list'; of: FieldType };

/** One key of a config object. */
export interface Field {
  /** the Ignition (JSON) key */
  json: string;
  /** the Butane (YAML) key */
  yaml: string;
  type: FieldType;
  /** the first Ignition 3.x minor version that has this key */
  since: IgnitionMinor;
  /** Ignition refuses the object without it */
  required?: boolean;
  /** Butane-only sugar, known from this Butane base level on; never an Ignition key */
  butane?: number;
  /** an Ignition key that Butane spells differently or computes (ignition.version) */
  jsonOnly?: boolean;
  /** Butane sugar mantle recognises but does not translate: the hint to give */
  unsupported?: string;
  /** refused in the flatcar variant (Butane's flatcar field filter) */
  notFlatcar?: string;
}

const STRING: FieldType = { kind: 'string' };
const BOOLEAN: FieldType = { kind: 'boolean' };
const INTEGER: FieldType = { kind: 'integer' };
const STRINGS: FieldType = { kind: 'list', of: STRING };

/** camelCase Ignition key → snake_case Butane key (sizeMiB → size_mib). */
export function snakeCase(json: string): string {
  return json
    .replace(/MiB/g, 'Mib')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

type FieldOpts = Partial<Omit<Field, 'json' | 'type'>>;

function f(json: string, type: FieldType, opts: FieldOpts = {}): Field {
  return { json, yaml: opts.yaml ?? snakeCase(json), type, since: opts.since ?? 0, ...opts };
}

function obj(json: string, fields: readonly Field[], opts: FieldOpts = {}): Field {
  return f(json, { kind: 'object', fields }, opts);
}

function listOf(json: string, fields: readonly Field[], opts: FieldOpts = {}): Field {
  return f(json, { kind: 'list', of: { kind: 'object', fields } }, opts);
}

/**
 * An Ignition resource (contents, append, merge, keyFile, ...). `compressionSince` and
 * `inlineBase` differ by place: config resources gained compression in 3.1, and Butane's
 * fcos 1.0.0 only had `inline` sugar for file contents.
 */
function resourceFields(compressionSince: IgnitionMinor, inlineBase: number): Field[] {
  return [
    f('compression', STRING, { since: compressionSince }),
    listOf('httpHeaders', [f('name', STRING, { required: true }), f('value', STRING)], { since: 1 }),
    f('source', STRING),
    obj('verification', [f('hash', STRING)]),
    // Butane sugar: turned into `source` (a data URL) by the translator.
    f('inline', STRING, { butane: inlineBase }),
    f('local', STRING, { butane: 2 }),
  ];
}

const OWNER = [f('id', INTEGER), f('name', STRING)];

// Go's embedded Node struct comes first in File/Directory/Link, then the type's own keys.
const NODE = [
  obj('group', OWNER),
  f('overwrite', BOOLEAN),
  f('path', STRING, { required: true }),
  obj('user', OWNER),
];

/** The root object of an Ignition config, as Ignition 3.4 spells it. */
const CONFIG_FIELDS: readonly Field[] = [
  obj('ignition', [
    obj('config', [listOf('merge', resourceFields(1, 2)), obj('replace', resourceFields(1, 2))]),
    obj('proxy', [f('httpProxy', STRING), f('httpsProxy', STRING), f('noProxy', STRINGS)], { since: 1 }),
    obj('security', [obj('tls', [listOf('certificateAuthorities', resourceFields(1, 2))])]),
    obj('timeouts', [f('httpResponseHeaders', INTEGER), f('httpTotal', INTEGER)]),
    f('version', STRING, { required: true, jsonOnly: true }),
  ]),
  obj('kernelArguments', [f('shouldExist', STRINGS), f('shouldNotExist', STRINGS)], { since: 3 }),
  obj('passwd', [
    listOf('groups', [
      f('gid', INTEGER),
      f('name', STRING),
      f('passwordHash', STRING),
      f('shouldExist', BOOLEAN, { since: 2 }),
      f('system', BOOLEAN),
    ]),
    listOf('users', [
      f('gecos', STRING),
      f('groups', STRINGS),
      f('homeDir', STRING),
      f('name', STRING),
      f('noCreateHome', BOOLEAN),
      f('noLogInit', BOOLEAN),
      f('noUserGroup', BOOLEAN),
      f('passwordHash', STRING),
      f('primaryGroup', STRING),
      f('sshAuthorizedKeys', STRINGS),
      f('shell', STRING),
      f('shouldExist', BOOLEAN, { since: 2 }),
      f('system', BOOLEAN),
      f('uid', INTEGER),
      f('sshAuthorizedKeysLocal', STRINGS, { yaml: 'ssh_authorized_keys_local', butane: 5 }),
    ]),
  ]),
  obj('storage', [
    listOf('directories', [...NODE, f('mode', INTEGER)]),
    listOf('disks', [
      f('device', STRING, { required: true }),
      listOf('partitions', [
        f('guid', STRING),
        f('label', STRING),
        f('number', INTEGER),
        f('resize', BOOLEAN, { since: 2 }),
        f('shouldExist', BOOLEAN),
        f('sizeMiB', INTEGER),
        f('startMiB', INTEGER),
        f('typeGuid', STRING),
        f('wipePartitionEntry', BOOLEAN),
      ]),
      f('wipeTable', BOOLEAN),
    ]),
    listOf('files', [
      ...NODE,
      listOf('append', resourceFields(0, 1)),
      obj('contents', resourceFields(0, 1)),
      f('mode', INTEGER),
    ]),
    listOf('filesystems', [
      f('device', STRING, { required: true }),
      f('format', STRING),
      f('label', STRING),
      f('mountOptions', STRINGS, { since: 1 }),
      f('options', STRINGS),
      f('path', STRING),
      f('uuid', STRING),
      f('wipeFilesystem', BOOLEAN),
      f('withMountUnit', BOOLEAN, {
        butane: 2,
        unsupported:
          'write the .mount unit yourself under systemd.units, or translate with the real butane tool',
      }),
    ]),
    listOf('links', [...NODE, f('hard', BOOLEAN), f('target', STRING)]),
    listOf(
      'luks',
      [
        obj(
          'clevis',
          [
            obj('custom', [f('config', STRING), f('needsNetwork', BOOLEAN), f('pin', STRING)]),
            listOf('tang', [
              f('advertisement', STRING, { since: 4 }),
              f('thumbprint', STRING),
              f('url', STRING),
            ]),
            f('threshold', INTEGER),
            f('tpm2', BOOLEAN),
          ],
          { notFlatcar: 'clevis is not supported in the flatcar variant (Butane refuses it too)' },
        ),
        f('device', STRING),
        f('discard', BOOLEAN, { since: 4 }),
        obj('keyFile', resourceFields(2, 1)),
        f('label', STRING),
        f('name', STRING),
        f('openOptions', STRINGS, { since: 4 }),
        f('options', STRINGS),
        f('uuid', STRING),
        f('wipeVolume', BOOLEAN),
      ],
      { since: 2 },
    ),
    listOf('raid', [
      f('devices', STRINGS),
      f('level', STRING),
      f('name', STRING),
      f('options', STRINGS),
      f('spares', INTEGER),
    ]),
    // Butane sugar: every file and symlink under filesDir/<local> becomes a storage entry.
    listOf('trees', [f('local', STRING, { required: true }), f('path', STRING)], { butane: 2 }),
  ]),
  obj('systemd', [
    listOf('units', [
      f('contents', STRING),
      listOf('dropins', [
        f('contents', STRING),
        f('name', STRING, { required: true }),
        f('contentsLocal', STRING, { butane: 5 }),
      ]),
      f('enabled', BOOLEAN),
      f('mask', BOOLEAN),
      f('name', STRING, { required: true }),
      f('contentsLocal', STRING, { butane: 5 }),
    ]),
  ]),
  // fcos-only sugar for the boot disk; kola's Flatcar world never needs it.
  obj('bootDevice', [], {
    butane: 3,
    notFlatcar: 'boot_device exists only in the fcos variant',
    unsupported:
      'configure the boot disk with storage.disks/luks/raid, or translate with the real butane tool',
  }),
  obj('grub', [], {
    butane: 5,
    notFlatcar: 'grub exists only in the fcos variant',
    unsupported: 'translate with the real butane tool',
  }),
];

/** The root type of an Ignition config. */
export const CONFIG_TYPE: FieldType = { kind: 'object', fields: CONFIG_FIELDS };
