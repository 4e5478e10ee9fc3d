import { defineCommand, writeOut } from '@mantle/core/cli';

/** `kola version`: the version, as text or --json. */
export function versionSpec(version: string) {
  return defineCommand({
    command: 'version',
    describe: "print kola's version",
    run: () => Promise.resolve({ name: 'kola', version }),
    print: (data, ctx) => writeOut(ctx, `kola ${data.version}`),
  });
}
