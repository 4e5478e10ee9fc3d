import { access } from 'node:fs/promises';
import type { CheckContext, PackageManager } from '../context.js';
import { runCapture, TOOL_TIMEOUT_MS } from '../system/spawn-capture.js';
import type { PackageProps } from '../types.js';
import { SystemError, type ResourceRun } from '../validate-value.js';
import { checkWithRetry, once } from './common.js';

/**
 * An installed package: installed, then versions (goss names the property `version`). The
 * package manager is --package's, else detected as goss detects it (the distribution's
 * release files, then the first of dpkg, rpm, apk, pacman on PATH, else rpm).
 */
export async function checkPackage(
  run: ResourceRun,
  id: string,
  props: PackageProps,
  ctx: CheckContext,
): Promise<void> {
  const name = props.name ?? id;
  const manager = ctx.packageManager ?? (await ctx.memo('package-manager', () => detectPackageManager(ctx)));
  let query = once(() => installedVersions(manager, name, ctx));
  const again = (): void => {
    query = once(() => installedVersions(manager, name, ctx));
  };
  let firstAttempt = true;
  await checkWithRetry(run, props.retry_count, props.retry_delay, ctx, () => {
    if (!firstAttempt) again();
    firstAttempt = false;
    return run.check('installed', props.installed, async () => (await query()).length > 0);
  });
  run.gateOnFirst();
  firstAttempt = true;
  if (props.versions != null)
    await checkWithRetry(run, props.retry_count, props.retry_delay, ctx, () => {
      if (!firstAttempt) again();
      firstAttempt = false;
      return run.check('version', props.versions, async () => {
        const v = await query();
        if (v.length === 0) throw new SystemError('Package version not found');
        return v;
      });
    });
}

/** goss's DetectPackageManager. */
async function detectPackageManager(ctx: CheckContext): Promise<PackageManager> {
  const has = (p: string) =>
    access(p).then(
      () => true,
      () => false,
    );
  if (await has('/etc/debian_version')) return 'dpkg';
  if ((await has('/etc/redhat-release')) || (await has('/etc/system-release'))) return 'rpm';
  if (await has('/etc/alpine-release')) return 'apk';
  if (await has('/etc/arch-release')) return 'pacman';
  for (const [m, tool] of [
    ['dpkg', 'dpkg-query'],
    ['rpm', 'rpm'],
    ['apk', 'apk'],
    ['pacman', 'pacman'],
  ] as const) {
    if (await ctx.tool(tool)) return m;
  }
  return 'rpm';
}

/** The installed versions of a package ([] when not installed or the tool is missing), as goss reads them. */
async function installedVersions(
  manager: PackageManager,
  name: string,
  ctx: CheckContext,
): Promise<string[]> {
  const run = async (argv: string[]) => {
    const tool = await ctx.tool(argv[0] as string);
    if (!tool) return undefined;
    const r = await runCapture([tool, ...argv.slice(1)], {
      env: ctx.env,
      timeoutMs: TOOL_TIMEOUT_MS,
      signal: ctx.signal,
    });
    return r.exitCode === 0 ? r.stdout : undefined;
  };
  switch (manager) {
    case 'dpkg': {
      const out = await run(['dpkg-query', '-f', '${Status} ${Version}\n', '-W', name]);
      if (out === undefined) return [];
      return out
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('install ok installed') || l.startsWith('hold ok installed'))
        .map((l) => l.split(/\s+/)[3] ?? '');
    }
    case 'rpm': {
      const out = await run([
        'rpm',
        '-q',
        '--nosignature',
        '--nohdrchk',
        '--nodigest',
        '--qf',
        '%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n',
        name,
      ]);
      return out === undefined ? [] : out.trim().split('\n');
    }
    case 'apk': {
      const out = await run(['apk', 'version', name]);
      if (out === undefined) return [];
      return out
        .trim()
        .split('\n')
        .filter((l) => l && !l.startsWith('Installed:') && !l.startsWith('WARNING'))
        .map((l) =>
          (l.split(/\s+/)[0] ?? '').replace(
            new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-`),
            '',
          ),
        );
    }
    case 'pacman': {
      const out = await run(['pacman', '-Q', '--color', 'never', '--noconfirm', name]);
      const v = out?.trim().split(/\s+/)[1];
      return v ? [v] : [];
    }
  }
}
