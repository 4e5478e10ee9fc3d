import { defineCommand, writeOut, type CommandContext } from '@mantle/core/cli';
import type { OciRootfsResult } from '../oci/oci-rootfs.js';

/** `bakery oci-rootfs IMAGE DIR`: a container image's root filesystem as a directory (skopeo + umoci). */
export const ociRootfsSpec = defineCommand({
  command: 'oci-rootfs <image> <dir>',
  examples: [
    [
      '$0 oci-rootfs docker.io/library/alpine:3.20 ./rootfs',
      'unpack a container image as a root filesystem (for flix, flatwrap)',
    ],
  ],
  describe:
    'unpack a container image into a directory (for flix/flatwrap), without a daemon and without root',
  builder: (y) =>
    y
      .positional('image', {
        type: 'string',
        demandOption: true,
        describe:
          'NAME[:TAG|@DIGEST] from a registry (alpine:latest, 127.0.0.1:5000/x:t), or docker://..., oci:PATH[:TAG], oci-archive:PATH[:TAG], docker-archive:PATH[:REF], dir:PATH',
      })
      .positional('dir', {
        type: 'string',
        demandOption: true,
        describe: 'where the root filesystem goes; must not exist or be empty (see --force)',
      })
      .option('arch', {
        type: 'string',
        describe: 'x86-64 or arm64: which image of a multi-architecture index (default: this machine)',
      })
      .option('tls-verify', {
        type: 'boolean',
        default: true,
        describe: 'require HTTPS with a valid certificate (--no-tls-verify for a local plain-HTTP registry)',
      })
      .option('creds', {
        type: 'string',
        describe: 'USER:PASSWORD for the registry (never printed; --authfile keeps it off the command line)',
      })
      .option('authfile', {
        type: 'string',
        describe: 'registry credentials: the auth.json of podman/skopeo login',
      })
      .option('run', {
        type: 'string',
        describe:
          "shell command run by the image's /bin/sh inside the tree before it is moved to DIR (bubblewrap; e.g. 'apk -U add b3sum')",
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'replace DIR when it exists and is not empty',
      }),
  run: async (a, ctx) => {
    const { ociRootfs } = await import('../oci/oci-rootfs.js');
    return ociRootfs({
      image: a.image,
      dir: a.dir,
      ...(a.arch !== undefined ? { arch: a.arch } : {}),
      tlsVerify: a.tlsVerify !== false,
      ...(a.creds !== undefined ? { creds: a.creds } : {}),
      ...(a.authfile !== undefined ? { authfile: a.authfile } : {}),
      ...(a.run !== undefined ? { run: a.run } : {}),
      force: a.force,
      cwd: ctx.cwd,
      env: ctx.env,
      logger: ctx.logger,
      signal: ctx.signal,
    });
  },
  print: (r: OciRootfsResult, ctx: CommandContext) => {
    writeOut(ctx, r.dir);
  },
});
