// The common start of every launcher (podman-pilot, vm-pilot, bwrap-pilot), called through a
// symlink whose name is the flake's: find the flake (cache, else the slow path), check the
// pilot arguments, hand over to the engine, and exit with the app's exit code. Failures of the
// launcher itself are reported like every mantle binary's (message, hint, exit 1/2/3).
import { basename } from 'node:path';
import { parsePilotArgs, isSafeInstanceName } from './argv.js';
import { readCachedLaunch, writeCachedLaunch } from './cache.js';
import { LAUNCHERS, launcherEngine } from './launchers.js';
import type { LaunchContext } from './context.js';
import { raise } from './raise.js';
import type { ResolvedLaunch } from './resolve.js';
import { currentCaller, type Caller } from '../flake/trust.js';
import type { Engine } from '../flake/schema.js';

/** Find the flake `name` for this caller: a still-valid cache entry, else read and validate it. */
async function findFlake(
  name: string,
  env: NodeJS.ProcessEnv,
  caller: Caller,
  launcher: string,
): Promise<ResolvedLaunch> {
  const cached = readCachedLaunch(name, env, caller);
  if (cached) return cached;
  const { resolveLaunch } = await import('./resolve.js');
  const { resolved, stamps } = await resolveLaunch(name, env, caller, launcher);
  await writeCachedLaunch(name, env, caller, resolved, stamps);
  return resolved;
}

// What a user of flake-pilot types: register an app once, then call the app by its name.
const LAUNCHER_EXAMPLES = {
  'podman-pilot': [
    [
      'pilot podman register --container amazon/aws-cli --app /usr/bin/aws',
      'make /usr/bin/aws a podman-pilot app',
    ],
    ['aws ec2 describe-regions', 'runs `aws ec2 describe-regions` in the aws-cli container'],
    ['aws @work %interactive s3 ls', 'in the instance "work", with a terminal'],
  ],
  'vm-pilot': [
    [
      'pilot vm register --vm leap --app /usr/bin/mybash --target /bin/bash',
      'make /usr/bin/mybash a vm-pilot app',
    ],
    ['mybash -c "uname -a"', 'runs bash in the leap micro-VM'],
  ],
  'bwrap-pilot': [
    [
      'pilot bwrap register --rootfs ./rootfs --name alpine --app /usr/bin/apk-shell --target /bin/sh',
      'make /usr/bin/apk-shell a bwrap-pilot app',
    ],
    ['apk-shell -c "cat /etc/os-release"', 'runs sh in the alpine root filesystem'],
  ],
} as const;

function usage(launcher: string, shownAs: string): string {
  return [
    `${shownAs} — launches a registered flake; it is started through the symlink`,
    `that 'pilot ... register --app PATH' creates, and PATH's name selects the flake.`,
    '',
    `Arguments of the app are passed on, except @NAME (the instance) and %option`,
    `(%remove, %interactive, %ignore_sync_error, ...); %%x and @@x pass a literal %x / @x.`,
    `Environment: MANTLE_PILOT_ROOT=DIR (everything under DIR), MANTLE_PILOT_STRICT=1.`,
    '',
    'Examples:',
    ...LAUNCHER_EXAMPLES[launcher as keyof typeof LAUNCHER_EXAMPLES].map(
      ([cmd, what]) => `  ${cmd}\n      ${what}`,
    ),
  ].join('\n');
}

/** Run a launcher to its end: sets process.exitCode. */
export async function launcherMain(
  engine: Engine,
  launch: (ctx: LaunchContext) => Promise<number>,
): Promise<void> {
  const launcher = LAUNCHERS[engine];
  const name = basename(process.argv[1] ?? launcher).replace(/\.js$/, '');
  const argv = process.argv.slice(2);
  const calledAsLauncher = launcherEngine(name) === engine;
  if (calledAsLauncher && (argv[0] === '--help' || argv[0] === '-h' || argv[0] === '--version')) {
    process.stdout.write(
      argv[0] === '--version' ? `${name} ${await version()}\n` : `${usage(launcher, name)}\n`,
    );
    return;
  }
  const warn = (m: string): void => void process.stderr.write(`${name}: warning: ${m}\n`);
  try {
    const env = process.env;
    const caller = currentCaller();
    const args = parsePilotArgs(argv);
    for (const instance of args.instances)
      if (!isSafeInstanceName(instance))
        await raise('input', {
          code: 'INSTANCE_NAME_INVALID',
          message: `instance name ${JSON.stringify(instance)} is not allowed`,
          hint: "an instance name is '@' and up to 63 letters, digits or '@ = _ -' (it becomes part of file names)",
        });
    const resolved = await findFlake(name, env, caller, launcher);
    if (resolved.flake.engine !== engine)
      await raise('input', {
        code: 'FLAKE_WRONG_LAUNCHER',
        message: `${resolved.files[0]} is a ${resolved.flake.engine} flake, but ${launcher} was started for it`,
        hint: `point the symlink ${process.argv[1]} at ${LAUNCHERS[resolved.flake.engine]} (re-register the app)`,
      });
    for (const w of resolved.warnings) warn(w);
    for (const o of args.unknownOptions)
      warn(`unknown pilot option ${o} ignored (pass %${o} to give the app an argument starting with %)`);
    process.exitCode = await launch({ resolved, args, env, caller, launcher, warn });
  } catch (err) {
    const [{ reportError }, { toMantleError }] = await Promise.all([
      import('@mantle/core/cli'),
      import('@mantle/core/errors'),
    ]);
    const merr = toMantleError(err);
    process.stderr.write(`${name}: `);
    reportError(merr, { stderr: process.stderr, stdout: process.stdout, json: false });
    process.exitCode = merr.exitCode;
  }
}

async function version(): Promise<string> {
  const { packageVersion } = await import('@mantle/core/cli');
  return packageVersion(import.meta.url);
}
