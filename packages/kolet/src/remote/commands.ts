import { shellQuote, shellQuoteWord } from '@mantle/core/ssh';

/** Where kola installs kolet on a machine: /var is writable and kept across reboots on Flatcar and Debian. */
export const KOLET_REMOTE_PATH = '/var/lib/kolet/kolet';
/** Where kola puts `--module` files next to it. */
export const KOLET_REMOTE_MODULE_DIR = '/var/lib/kolet/modules';

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i > 0 ? path.slice(0, i) : '.';
}

/**
 * A POSIX sh command (busybox ash or bash) that installs kolet from its gzip: from stdin (send
 * dist/kolet.gz as the command's input) or from `gzPath` already copied to the machine (then
 * removed). It writes `<path>.tmp`, checks the sha256, makes it 0755 and renames it into place,
 * so an interrupted upload never leaves a broken kolet. Exits 1 on a checksum mismatch.
 * Needs gunzip and sha256sum (coreutils or busybox).
 */
export function koletInstallCommand(opts: { sha256: string; remotePath?: string; gzPath?: string }): string {
  if (!/^[0-9a-f]{64}$/.test(opts.sha256))
    throw new TypeError(`koletInstallCommand: sha256 must be 64 lowercase hex digits, got ${opts.sha256}`);
  const dest = opts.remotePath ?? KOLET_REMOTE_PATH;
  const q = shellQuoteWord;
  const tmp = `${dest}.tmp`;
  const source = opts.gzPath ? ` ${q(opts.gzPath)}` : '';
  return [
    'set -e',
    `mkdir -p ${q(dirOf(dest))}`,
    `gunzip -c${source} > ${q(tmp)}`,
    `sum=$(sha256sum ${q(tmp)})`,
    `sum=\${sum%% *}`,
    `if [ "$sum" != ${opts.sha256} ]; then rm -f ${q(tmp)}; echo "kolet upload corrupted: sha256 $sum, expected ${opts.sha256}" >&2; exit 1; fi`,
    `chmod 0755 ${q(tmp)}`,
    `mv -f ${q(tmp)} ${q(dest)}`,
    ...(opts.gzPath ? [`rm -f ${q(opts.gzPath)}`] : []),
  ].join('\n');
}

/**
 * A command that exits 0 when the kolet at `remotePath` is this very build (compare to
 * koletArtifacts().versionLine), so kola can skip the upload (e.g. after a reboot on /var).
 */
export function koletProbeCommand(opts: { versionLine: string; remotePath?: string }): string {
  const dest = opts.remotePath ?? KOLET_REMOTE_PATH;
  return `[ -x ${shellQuoteWord(dest)} ] && [ "$(${shellQuoteWord(dest)} version 2>/dev/null)" = ${shellQuoteWord(opts.versionLine)} ]`;
}

/** The command line runNative sends: `kolet run [--module M]... [--reboot-mark X] [--timeout T] TEST FUNC`. */
export function koletRunCommand(opts: {
  test: string;
  func: string;
  remotePath?: string;
  modules?: readonly string[];
  rebootMark?: string;
  timeoutMs?: number;
}): string {
  const args = [opts.remotePath ?? KOLET_REMOTE_PATH, 'run'];
  for (const m of opts.modules ?? []) args.push('--module', m);
  if (opts.rebootMark !== undefined) args.push('--reboot-mark', opts.rebootMark);
  if (opts.timeoutMs !== undefined) args.push('--timeout', `${Math.ceil(opts.timeoutMs)}ms`);
  args.push(opts.test, opts.func);
  return shellQuote(args);
}

/**
 * `kolet check - --format json`: the spec goes to stdin, the report comes back as JSON on stdout.
 * `vars` become the spec template's `.Vars` (sent as `--vars-inline` YAML or JSON text), `env`
 * is set for kolet on the machine (the template's `.Env`, and the environment of command checks).
 */
export function koletCheckCommand(
  opts: {
    remotePath?: string;
    timeoutMs?: number;
    retryTimeoutMs?: number;
    sleepMs?: number;
    /** goss's --max-concurrent: how many checks run at once */
    maxConcurrent?: number;
    /** a mapping (sent as JSON) or YAML/JSON text */
    vars?: Record<string, unknown> | string;
    env?: Record<string, string>;
  } = {},
): string {
  const args: string[] = [];
  const env = Object.entries(opts.env ?? {});
  for (const [k] of env)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new TypeError(`koletCheckCommand: bad environment variable name ${JSON.stringify(k)}`);
  if (env.length > 0) args.push('env', ...env.map(([k, v]) => `${k}=${v}`));
  args.push(opts.remotePath ?? KOLET_REMOTE_PATH, 'check', '-', '--format', 'json');
  if (opts.timeoutMs !== undefined) args.push('--timeout', `${Math.ceil(opts.timeoutMs)}ms`);
  if (opts.retryTimeoutMs !== undefined) args.push('--retry-timeout', `${Math.ceil(opts.retryTimeoutMs)}ms`);
  if (opts.sleepMs !== undefined) args.push('--sleep', `${Math.ceil(opts.sleepMs)}ms`);
  if (opts.maxConcurrent !== undefined) args.push('--max-concurrent', String(opts.maxConcurrent));
  if (opts.vars !== undefined)
    args.push('--vars-inline', typeof opts.vars === 'string' ? opts.vars : JSON.stringify(opts.vars));
  return shellQuote(args);
}
