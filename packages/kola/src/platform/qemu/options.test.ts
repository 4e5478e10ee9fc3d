import { UsageError } from '@mantle/core/errors';
import { silentLogger } from '@mantle/core/log';
import { expect, test } from 'vitest';
import { resolveQemuOptions } from './options.js';

const base = { outputDir: '/tmp/x', logger: silentLogger };

test('defaults: 512 MiB, 1 vCPU, x86_64, 60 SSH tries of 10 s, BIOS, auto accel and readiness', () => {
  expect(resolveQemuOptions(base)).toMatchObject({
    memoryMiB: 512,
    cpus: 1,
    arch: 'x86_64',
    sshRetries: 60,
    sshTimeoutSec: 10,
    firmware: 'bios',
    accel: 'auto',
    readiness: 'auto',
    tpm: false,
  });
});

test('impossible values are usage errors naming the option', () => {
  expect(() => resolveQemuOptions({ ...base, memoryMiB: 1.5 })).toThrow(/memoryMiB/);
  expect(() => resolveQemuOptions({ ...base, cpus: 0 })).toThrow(UsageError);
  expect(() => resolveQemuOptions({ ...base, accel: 'xen' as 'kvm' })).toThrow(
    /accel must be one of auto, kvm, tcg/,
  );
  expect(() => resolveQemuOptions({ ...base, initrd: '/i' })).toThrow(/initrd was given without a kernel/);
  expect(() => resolveQemuOptions({ ...base, ovmfVars: '/v' })).toThrow(/firmware is BIOS/);
  expect(() => resolveQemuOptions({ ...base, sshTimeoutSec: 0 })).toThrow(/sshTimeoutSec/);
});
