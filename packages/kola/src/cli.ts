import {
  isEntryPoint,
  main,
  packageVersion,
  writeOut,
  type CliSpec,
  type CommandSpec,
  type GlobalArgs,
} from '@mantle/core/cli';
import type { Argv } from 'yargs';
// Only types and yargs load at start-up: every command imports its modules when it runs, so
// `kola --help` stays fast.
import type { MantleReport } from './output/report-json.js';
import type { ListEntry } from './run/list-command.js';
import { printList } from './run/list-print.js';
import { checkFlags } from './run/check-flags.js';
import { printCheckConsole, type CheckConsoleResult } from './run/check-console-command.js';
import type { BootchartResult } from './run/bootchart-command.js';

const version = packageVersion(import.meta.url);

/** The platform flags `kola run` and `kola spawn` share. */
function platformFlags<T>(y: Argv<T>) {
  return y
    .option('platform', {
      alias: 'p',
      type: 'string',
      default: 'qemu',
      describe: 'platform to boot machines on',
    })
    .option('basename', { type: 'string', default: 'kola', describe: 'prefix of machine and cluster names' })
    .option('key', {
      type: 'string',
      array: true,
      describe: 'SSH public key to authorize on the machines (repeatable)',
    })
    .option('keys', {
      alias: 'k',
      type: 'boolean',
      default: false,
      describe: 'authorize --key, or ~/.ssh/id_*.pub without one',
    })
    .option('remove', {
      alias: 'r',
      type: 'boolean',
      default: true,
      describe: 'destroy machines afterwards (--remove=false keeps them)',
    })
    .option('output-dir', {
      type: 'string',
      describe: 'output directory (default _kola_temp/<platform>-<date>-<pid>)',
    })
    .option('ssh-retries', {
      type: 'number',
      default: 60,
      describe: 'SSH connection attempts while a machine boots',
    })
    .option('ssh-timeout', { type: 'number', default: 10, describe: 'seconds each SSH attempt may take' })
    .option('board', {
      type: 'string',
      describe: 'mantle compatibility: amd64-usr or arm64-usr (sets --qemu-arch)',
    })
    .option('image', {
      alias: 'image-name',
      type: 'string',
      describe:
        'image to boot: a cached test image name (tiny, systemd), an image directory with manifest.json, or a disk image file',
    })
    .option('qemu-image', { type: 'string', describe: 'disk image to boot (default: the tiny test image)' })
    .option('qemu-kernel', { type: 'string', describe: 'kernel for direct boot' })
    .option('qemu-initrd', { type: 'string', describe: 'initrd for direct boot' })
    .option('qemu-append', { type: 'string', describe: 'kernel command line for direct boot' })
    .option('qemu-firmware', { type: 'string', describe: 'bios, uefi or an OVMF code image' })
    .option('qemu-ovmf-vars', { type: 'string', describe: 'UEFI variable store template' })
    .option('qemu-tpm', { type: 'boolean', default: false, describe: 'give each machine a TPM 2.0 (swtpm)' })
    .option('qemu-accel', {
      choices: ['auto', 'kvm', 'tcg'] as const,
      default: 'auto' as const,
      describe: 'accelerator',
    })
    .option('qemu-memory', { type: 'number', describe: 'memory per machine in MiB (default 512)' })
    .option('qemu-cpus', { type: 'number', describe: 'vCPUs per machine (default 1)' })
    .option('qemu-arch', { choices: ['x86_64', 'aarch64'] as const, describe: 'guest architecture' })
    .option('qemu-vnc', {
      type: 'string',
      describe: 'accepted for mantle compatibility; no VNC display yet',
    });
}

type PlatformArgs = {
  platform: string;
  image?: string | undefined;
  basename: string;
  key?: string[] | undefined;
  keys: boolean;
  remove: boolean;
  outputDir?: string | undefined;
  sshRetries: number;
  sshTimeout: number;
  board?: string | undefined;
  qemuImage?: string | undefined;
  qemuKernel?: string | undefined;
  qemuInitrd?: string | undefined;
  qemuAppend?: string | undefined;
  qemuFirmware?: string | undefined;
  qemuOvmfVars?: string | undefined;
  qemuTpm: boolean;
  qemuAccel: string;
  qemuMemory?: number | undefined;
  qemuCpus?: number | undefined;
  qemuArch?: string | undefined;
  qemuVnc?: string | undefined;
};

/** The raw (unvalidated) platform part of RunOptions/SpawnOptions from parsed flags. */
function platformOptions(a: PlatformArgs): Record<string, unknown> {
  const boardArch: Record<string, string> = { 'amd64-usr': 'x86_64', 'arm64-usr': 'aarch64' };
  return {
    platform: a.platform,
    image: a.image,
    basename: a.basename,
    key: a.key ?? [],
    keys: a.keys,
    remove: a.remove,
    outputDir: a.outputDir,
    sshRetries: a.sshRetries,
    sshTimeoutSec: a.sshTimeout,
    qemu: {
      image: a.qemuImage,
      kernel: a.qemuKernel,
      initrd: a.qemuInitrd,
      append: a.qemuAppend,
      firmware: a.qemuFirmware,
      ovmfVars: a.qemuOvmfVars,
      tpm: a.qemuTpm,
      accel: a.qemuAccel,
      memoryMiB: a.qemuMemory,
      cpus: a.qemuCpus,
      arch: a.qemuArch ?? (a.board ? (boardArch[a.board] ?? a.board) : undefined),
      vnc: a.qemuVnc,
    },
  };
}

const runSpec: CommandSpec<PlatformArgs & Record<string, unknown>> = {
  command: 'run [glob..]',
  describe: 'run tests whose names match the globs (default: all)',
  builder: (y) =>
    platformFlags(y)
      .positional('glob', { type: 'string', array: true, describe: "test name globs, e.g. 'basic.*'" })
      .option('distro', {
        alias: 'b',
        type: 'string',
        describe:
          'distribution to select tests for (default: from the image: tiny, systemd; else cl); -b tiny|systemd alone boots that cached image',
      })
      .option('parallel', {
        alias: 'j',
        type: 'string',
        default: '1',
        describe: "tests at once: a number or 'auto'",
      })
      .option('tapfile', { type: 'string', describe: 'also write the TAP report here' })
      .option('tag', { type: 'string', array: true, describe: 'run only tests with one of these tags' })
      .option('exclude-tag', { type: 'string', array: true, describe: 'skip tests with any of these tags' })
      .option('denylist-test', { type: 'string', array: true, describe: 'skip tests matching these globs' })
      .option('rerun-failed', {
        alias: 'rerun',
        type: 'boolean',
        default: false,
        describe: 'rerun failed tests once; a pass then is reported as a flake',
      })
      .option('shard', { alias: 'sharding', type: 'string', describe: 'run the i-th of n shards, e.g. 2/4' })
      .option('exttest', {
        alias: 'E',
        type: 'string',
        array: true,
        describe:
          'external test directory: executables (exit 0 pass, 77 skip) plus optional kola.json/kola.yaml; tests are named ext.<dir>.<file>',
      })
      .option('tests-dir', {
        type: 'string',
        array: true,
        describe: 'load extra tests from the JS modules in this directory',
      }) as never,
  run: async (args, ctx): Promise<MantleReport> => {
    const a = args as unknown as PlatformArgs & {
      glob?: string[];
      distro?: string;
      parallel: string;
      tapfile?: string;
      tag?: string[];
      excludeTag?: string[];
      denylistTest?: string[];
      rerunFailed: boolean;
      shard?: string;
      exttest?: string[];
      testsDir?: string[];
    };
    const [{ parseRunOptions }, { parseParallel }, { parseShard }, { runCommand }] = await Promise.all([
      import('./run/options.js'),
      import('./harness/parallel.js'),
      import('./registry/filter.js'),
      import('./run/run-command.js'),
    ]);
    const opts = parseRunOptions({
      ...platformOptions(a),
      globs: a.glob ?? [],
      distro: a.distro,
      parallel: parseParallel(a.parallel, '--parallel'),
      tapfile: a.tapfile,
      tags: a.tag ?? [],
      excludeTags: a.excludeTag ?? [],
      denylist: a.denylistTest ?? [],
      rerunFailed: a.rerunFailed,
      shard: a.shard === undefined ? undefined : parseShard(a.shard),
      exttest: a.exttest ?? [],
      testsDirs: a.testsDir ?? [],
    });
    // --json prints exactly report.json (the result also says where the output went).
    const { outputDir: _dir, interrupted: _int, ...report } = await runCommand(opts, ctx);
    return report;
  },
  // The progress lines were printed while the tests ran; --json prints report.json instead.
  print: () => {},
};

const checkSpec: CommandSpec<PlatformArgs & Record<string, unknown>> = {
  command: 'check <spec>',
  describe:
    'boot one machine of an image and run a goss spec on it with kolet (--vars, -e NAME=VALUE; the report is kept in the output dir)',
  builder: (y) =>
    checkFlags(
      platformFlags(y).positional('spec', {
        type: 'string',
        describe:
          'goss spec (YAML or JSON: user, file, service, port, ...; templates and gossfile includes as goss)',
      }),
    ) as never,
  run: async (args, ctx) => {
    const [{ parseRunOptions }, { checkCommand, checkOptionsFromArgs }] = await Promise.all([
      import('./run/options.js'),
      import('./run/check-command.js'),
    ]);
    const a = args as unknown as PlatformArgs & { spec: string };
    return checkCommand(checkOptionsFromArgs(a, parseRunOptions(platformOptions(a))), ctx);
  },
  // The report was printed in the chosen --format; --json prints it as data.
  print: () => {},
};

const bootchartSpec: CommandSpec<PlatformArgs & Record<string, unknown>> = {
  command: 'bootchart',
  describe: 'boot a machine and save systemd-analyze plot (bootchart.svg) and blame (blame.txt)',
  builder: (y) => platformFlags(y) as never,
  run: async (args, ctx) => {
    const a = args as unknown as PlatformArgs;
    const [{ parseRunOptions }, { bootchartCommand }] = await Promise.all([
      import('./run/options.js'),
      import('./run/bootchart-command.js'),
    ]);
    return bootchartCommand(parseRunOptions(platformOptions(a)), ctx);
  },
  print: (data: BootchartResult, ctx) => {
    if (data.summary) writeOut(ctx, data.summary);
    writeOut(ctx, `bootchart: ${data.bootchart}`);
    writeOut(ctx, `blame:     ${data.blame}`);
  },
};

const listSpec: CommandSpec<Record<string, unknown>> = {
  command: 'list',
  describe: 'list registered tests (built-in and --tests-dir)',
  builder: (y) =>
    y
      .option('filter', { type: 'string', array: true, describe: 'only tests whose names match these globs' })
      .option('tests-dir', {
        type: 'string',
        array: true,
        describe: 'also load tests from the JS modules in this directory',
      })
      .option('exttest', {
        alias: 'E',
        type: 'string',
        array: true,
        describe: 'also list the external tests of this directory',
      }),
  run: async (args, ctx): Promise<ListEntry[]> => {
    const a = args as { filter?: string[]; testsDir?: string[]; exttest?: string[] };
    const { listCommand } = await import('./run/list-command.js');
    return listCommand(
      { filter: a.filter ?? [], testsDirs: a.testsDir ?? [], exttest: a.exttest ?? [] },
      ctx,
    );
  },
  print: (data: ListEntry[], ctx) => printList(data, ctx),
};

const checkConsoleSpec: CommandSpec<Record<string, unknown>> = {
  command: 'check-console <files..>',
  describe: 'check saved console logs for known bad lines (exit 1 when any)',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'console.txt files' })
      .option('skip-flag', {
        type: 'string',
        array: true,
        choices: ['no-kernel-panic-check', 'no-emergency-shell-check', 'no-console-check'],
        describe: 'turn a check off as the test flag of that name does',
      }),
  run: async (args, ctx): Promise<CheckConsoleResult> => {
    const a = args as unknown as {
      files: string[];
      skipFlag?: ('no-kernel-panic-check' | 'no-emergency-shell-check' | 'no-console-check')[];
    };
    const { checkConsoleCommand } = await import('./run/check-console-command.js');
    return checkConsoleCommand({ files: a.files, skipFlags: a.skipFlag ?? [] }, ctx);
  },
  print: (data: CheckConsoleResult, ctx) => printCheckConsole(data, ctx),
};

const spawnSpec: CommandSpec<PlatformArgs & Record<string, unknown>> = {
  command: 'spawn',
  describe: 'boot machines and print how to reach them (Ctrl-C destroys them)',
  builder: (y) =>
    platformFlags(y)
      .option('nodecount', { alias: 'c', type: 'number', default: 1, describe: 'how many machines' })
      .option('userdata', {
        alias: 'u',
        type: 'string',
        describe: 'Butane or Ignition file for the machines',
      })
      .option('shell', {
        alias: 's',
        type: 'boolean',
        default: false,
        describe: 'open a shell on the first machine; destroy all when it exits',
      })
      .option('detach', {
        type: 'boolean',
        default: false,
        describe: 'leave the machines running in a background kola and exit',
      })
      .option('stop', { type: 'string', describe: 'stop the detached spawn whose output directory this is' })
      .option('options-file', { type: 'string', hidden: true }) as never,
  run: async (args, ctx) => {
    const a = args as unknown as PlatformArgs & {
      nodecount: number;
      userdata?: string;
      shell: boolean;
      detach: boolean;
      stop?: string;
      optionsFile?: string;
    };
    const spawn = await import('./run/spawn-command.js');
    if (a.stop) return spawn.stopSpawn(a.stop, ctx).then(() => undefined);
    const opts = a.optionsFile
      ? await spawn.readSpawnOptionsFile(a.optionsFile)
      : await import('./run/options.js').then(({ parseRunOptions }) => {
          // validate the shared flags with run's schema (flag names in errors), then the rest
          parseRunOptions({ ...platformOptions(a) });
          return spawn.parseSpawnOptions({
            ...platformOptions(a),
            nodecount: a.nodecount,
            userdata: a.userdata,
            shell: a.shell,
            detach: a.detach,
          });
        });
    await spawn.spawnCommand(opts, ctx);
    return undefined;
  },
};

const versionSpec: CommandSpec<object> = {
  command: 'version',
  describe: "print kola's version",
  run: () => Promise.resolve({ name: 'kola', version }),
  print: (data: { version: string }, ctx) => writeOut(ctx, `kola ${data.version}`),
};

export const cli: CliSpec = {
  name: 'kola',
  version,
  description: 'boot OS images as machines, run tests against them, report',
  commands: (y: Argv<GlobalArgs>, bind) =>
    y
      .command(bind(runSpec))
      .command(bind(listSpec))
      .command(bind(spawnSpec))
      .command(bind(checkConsoleSpec))
      .command(bind(checkSpec))
      .command(bind(bootchartSpec))
      .command(bind(versionSpec)),
};

if (isEntryPoint(import.meta.url)) await main(cli);
