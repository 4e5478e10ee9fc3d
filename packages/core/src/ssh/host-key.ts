import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MantleError } from '../errors/mantle-error.js';
import type { Logger } from '../log/logger.js';
import { SshErrorCode, sshInputError, sshOperationError, sshUsageError } from './errors.js';
import {
  findKnownHostKeys,
  formatKnownHostsLine,
  hostKeyFingerprint,
  knownHostsName,
  keyTypeOfBlob,
  parseKnownHosts,
  type KnownHostsEntry,
} from './known-hosts.js';
import { errorMessage } from '../errors/message.js';

/**
 * How a server's host key is checked:
 * - `'accept-new'`: trust on first use, recorded in `knownHostsPath` (OpenSSH format); a changed
 *   key is refused with SSH_HOSTKEY_MISMATCH.
 * - `{ pin: 'SHA256:...' }`: only a key with this fingerprint (or one of these) is accepted.
 * - `'insecure'`: any key is accepted. Only for throwaway machines whose host keys are new on every
 *   boot (kola's VMs on loopback); it gives no protection against interception.
 */
export type HostKeyPolicy = 'insecure' | 'accept-new' | { pin: string | readonly string[] };

export interface HostKeyCheckOptions {
  policy: HostKeyPolicy;
  knownHostsPath?: string | undefined;
  host: string;
  port: number;
  logger: Logger;
}

/** A host key check made ready for one connection attempt. */
export interface HostKeyCheck {
  /** exact host key algorithm list putting the recorded key types first; undefined = ssh2's defaults */
  serverHostKeyAlgorithms: string[] | undefined;
  /** ssh2 `hostVerifier` (async form): calls `done(true)` to accept the raw key blob */
  verify(key: Buffer, done: (ok: boolean) => void): void;
  /** the fingerprint the server presented, once verify ran */
  fingerprint: string | undefined;
  /** the key the server presented (base64 of its wire blob, as in known_hosts), once verify ran */
  key: string | undefined;
  /** why verify refused the key; set before `done(false)` so the caller reports it, not ssh2's text */
  failure: MantleError | undefined;
}

// ssh2's default host key algorithms (ed25519 is supported on every Node we run on).
const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** Check that a host key policy is well formed; returns the normalised pinned fingerprints, if any. */
export function validateHostKeyPolicy(policy: HostKeyPolicy, knownHostsPath: string | undefined): string[] {
  if (policy === 'insecure') return [];
  if (policy === 'accept-new') {
    if (!knownHostsPath) {
      throw sshUsageError(
        "hostKeyPolicy 'accept-new' needs knownHostsPath",
        "pass knownHostsPath (a file the tool owns), pin a fingerprint with { pin: 'SHA256:...' }, or use 'insecure' for throwaway machines",
      );
    }
    return [];
  }
  if (typeof policy === 'object' && policy !== null && 'pin' in policy) {
    const pins = (typeof policy.pin === 'string' ? [policy.pin] : [...policy.pin]).map((p) =>
      p.trim().replace(/=+$/, ''),
    );
    if (pins.length === 0)
      throw sshUsageError(
        'hostKeyPolicy { pin } lists no fingerprint',
        "give a fingerprint such as 'SHA256:...' from `ssh-keygen -lf KEY.pub`",
      );
    for (const p of pins) {
      if (!FINGERPRINT.test(p)) {
        throw sshUsageError(
          `hostKeyPolicy pin '${p}' is not an OpenSSH SHA256 fingerprint`,
          "use the 'SHA256:...' form printed by `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`",
        );
      }
    }
    return pins;
  }
  throw sshUsageError(
    `hostKeyPolicy ${JSON.stringify(policy)} is not one of 'accept-new', 'insecure', { pin: 'SHA256:...' }`,
  );
}

/** Prepare the host key check for one connection attempt (reads known_hosts once). */
export async function prepareHostKeyCheck(opts: HostKeyCheckOptions): Promise<HostKeyCheck> {
  const pins = validateHostKeyPolicy(opts.policy, opts.knownHostsPath);
  const check: HostKeyCheck = {
    serverHostKeyAlgorithms: undefined,
    fingerprint: undefined,
    key: undefined,
    failure: undefined,
    verify: (_key, done) => done(true),
  };
  const name = knownHostsName(opts.host, opts.port);

  if (opts.policy === 'insecure') {
    check.verify = (key, done) => {
      check.fingerprint = hostKeyFingerprint(key);
      opts.logger.debug(`host key of ${name} not checked (policy insecure): ${check.fingerprint}`);
      done(true);
    };
    return check;
  }

  if (pins.length > 0) {
    check.verify = (key, done) => {
      const fp = (check.fingerprint = hostKeyFingerprint(key));
      if (pins.includes(fp)) return done(true);
      check.failure = sshOperationError(
        SshErrorCode.HostKeyMismatch,
        `host key of ${name} is ${fp}, not the pinned ${pins.join(' or ')}`,
        {
          hint: 'if the machine was reinstalled, pin its new fingerprint; otherwise someone may be intercepting the connection',
          details: { host: opts.host, port: opts.port, fingerprint: fp, pinned: pins },
        },
      );
      done(false);
    };
    return check;
  }

  // accept-new
  const path = opts.knownHostsPath as string;
  const known = findKnownHostKeys(await readKnownHosts(path), opts.host, opts.port);
  const plain = known.filter((e) => e.marker === undefined);
  check.serverHostKeyAlgorithms = preferAlgorithms(plain.map((e) => e.keyType));
  check.verify = (key, done) => {
    const fp = (check.fingerprint = hostKeyFingerprint(key));
    let keyType: string;
    try {
      keyType = keyTypeOfBlob(key);
    } catch (err) {
      check.failure = sshOperationError(SshErrorCode.HostKeyMismatch, `host key of ${name} is malformed`, {
        cause: err,
      });
      return done(false);
    }
    const keyBase64 = key.toString('base64');
    const revoked = known.find((e) => e.marker === 'revoked' && e.keyBase64 === keyBase64);
    if (revoked) {
      check.failure = sshOperationError(
        SshErrorCode.HostKeyRevoked,
        `host key ${fp} of ${name} is marked @revoked in ${path} line ${revoked.line}`,
        {
          hint: 'the key was revoked on purpose; find out why before connecting',
          details: { path, line: revoked.line, fingerprint: fp },
        },
      );
      return done(false);
    }
    if (plain.some((e) => e.keyType === keyType && e.keyBase64 === keyBase64)) return done(true);
    if (plain.length > 0) {
      check.failure = mismatchError(name, path, keyType, fp, plain);
      return done(false);
    }
    appendKnownHost(path, formatKnownHostsLine(opts.host, opts.port, keyType, keyBase64)).then(
      () => {
        opts.logger.info(`recorded host key of ${name} (${keyType} ${fp}) in ${path}`);
        done(true);
      },
      (err: unknown) => {
        check.failure = sshInputError(
          SshErrorCode.KnownHosts,
          `cannot record the host key of ${name} in ${path}: ${errorMessage(err)}`,
          'make the known_hosts file and its directory writable, or pass another knownHostsPath',
          err,
        );
        done(false);
      },
    );
  };
  return check;
}

function mismatchError(
  name: string,
  path: string,
  keyType: string,
  fp: string,
  recorded: KnownHostsEntry[],
): MantleError {
  const first = recorded[0] as KnownHostsEntry;
  const was = recorded
    .map((e) => `${e.keyType} ${fingerprintOfBase64(e.keyBase64)} (line ${e.line})`)
    .join(', ');
  return sshOperationError(
    SshErrorCode.HostKeyMismatch,
    `host key of ${name} changed: the server offered ${keyType} ${fp} but ${path} records ${was}`,
    {
      hint: `if the machine was reinstalled, remove the old key with: ssh-keygen -R '${name}' -f ${path}; otherwise someone may be intercepting the connection`,
      details: { host: name, path, line: first.line, offered: fp },
    },
  );
}

function fingerprintOfBase64(b64: string): string {
  return hostKeyFingerprint(Buffer.from(b64, 'base64'));
}

// Put the algorithms of the key types we already recorded first, so the server presents the key we
// can compare (as OpenSSH's client does); a server that lost that key type then shows a mismatch.
function preferAlgorithms(keyTypes: string[]): string[] | undefined {
  const first: string[] = [];
  for (const t of keyTypes) {
    const algos = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
    for (const a of algos) if (DEFAULT_HOST_KEY_ALGORITHMS.includes(a) && !first.includes(a)) first.push(a);
  }
  if (first.length === 0) return undefined;
  return [...first, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}

async function readKnownHosts(path: string): Promise<KnownHostsEntry[]> {
  try {
    return parseKnownHosts(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw sshInputError(
      SshErrorCode.KnownHosts,
      `cannot read known_hosts file ${path}: ${errorMessage(err)}`,
      'make it readable or pass another knownHostsPath',
      err,
    );
  }
}

async function appendKnownHost(path: string, line: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // O_APPEND keeps concurrent writers' lines whole; the file is ours, so keep it private.
  await appendFile(path, line, { mode: 0o600 });
}
