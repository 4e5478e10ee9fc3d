import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The slowest test files (those that boot qemu machines, emulators or real clouds' fakes), the
 * slowest first, as a CI run measured them. Two workers share the files in the order the
 * sequencer gives: when a long file starts last, one core idles until it ends. CI runs on a clean
 * clone, where vitest has no durations of earlier runs and orders by file size instead, so these
 * go first by name. Keep it roughly in order when a file gets much slower or faster; a file
 * missing here only runs in vitest's own order after these.
 */
const HEAVY_FILES = [
  'packages/kola/test/systemd.test.ts',
  'packages/kola/test/qemu.test.ts',
  'packages/kola/test/aws-fake-ec2.test.ts',
  'packages/ore/test/to-vm-boot.test.ts',
  'packages/kola/test/snapshot.test.ts',
  'packages/plume/test/release.test.ts',
  'packages/kola/test/checks.test.ts',
  'packages/kola/test/aarch64.test.ts',
  'packages/bakery/test/bake-boot.test.ts',
  'packages/ore/test/aws.test.ts',
  'packages/pilot/test/podman.test.ts',
  'packages/plume/test/release-gce.test.ts',
  'packages/plume/test/release-azure.test.ts',
  'packages/kola/test/harness-qemu.test.ts',
  'packages/kola/test/gcloud-fake-gce.test.ts',
  'packages/kola/test/azure-fake-arm.test.ts',
  'scripts/test/on-path.test.ts',
  'packages/ore/test/gcloud.test.ts',
  'scripts/test/cli-conventions.test.ts',
  'packages/pilot/test/vm.test.ts',
  'packages/bakery/test/oci-rootfs.test.ts',
  'packages/kola/test/cli.test.ts',
  'packages/bakery/test/bake.test.ts',
  'packages/core/test/install-footprint.test.ts',
  'packages/kola/test/exttest.test.ts',
];

/** vitest's order (failed first, then by the durations or sizes it knows), the heavy files first. */
export class HeavyFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const rank = (f: TestSpecification): number => {
      const i = HEAVY_FILES.indexOf(relative(root, f.moduleId));
      return i < 0 ? HEAVY_FILES.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
