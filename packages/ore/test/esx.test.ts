// Integration: `ore esx` (the built bin) against vcsim, VMware's own vSphere simulator (govmomi's,
// built from Debian's sources by packages/test-utils/vcsim: a real implementation of the vSphere
// Web Services API, here one standalone ESX host). The OVA is made here: a streamOptimized VMDK
// from qemu-img plus an OVF descriptor, in a ustar archive. The simulator keeps the disk bytes it
// received and a journal of the SOAP methods called; uploads are slowed to 512 KiB/s so that one
// can be interrupted midway.
// Needs: pnpm --filter @mantle/core --filter @mantle/ore build; golang-go and
// golang-github-vmware-govmomi-dev (scripts/setup.sh installs them and builds the simulator).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '@mantle/core/exec';
import { startVcsim, type Vcsim } from '@mantle/test-utils/vcsim';
import { listVms } from '../src/esx/inventory.js';
import { EsxClient, many, text, toRef, type XmlNode } from '../src/esx/soap-client.js';
import { ORE_BIN, jsonError, requireOreBuild, runOre } from './helpers/ore-bin.js';

const PASSWORD = 'vcsim-Secret-7f3a';
let dir: string;
let esx: Vcsim;
let env: NodeJS.ProcessEnv;

const ore = (args: string[]): ReturnType<typeof runOre> => runOre(dir, ['esx', ...args], { env });

/** An OVA of one disk: `randomKiB` of random bytes at the start of an 8 MiB disk. */
async function makeOva(name: string, randomKiB: number): Promise<{ ova: string; vmdk: Buffer }> {
  const work = join(dir, name);
  await mkdir(work);
  const raw = Buffer.alloc(8 << 20);
  randomBytes(randomKiB << 10).copy(raw);
  await writeFile(join(work, 'disk.raw'), raw);
  await run('qemu-img', [
    'convert',
    '-f',
    'raw',
    '-O',
    'vmdk',
    '-o',
    'subformat=streamOptimized',
    join(work, 'disk.raw'),
    join(work, 'disk.vmdk'),
  ]);
  const vmdk = await readFile(join(work, 'disk.vmdk'));
  const ovf = `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References><File ovf:id="file1" ovf:href="disk.vmdk" ovf:size="${vmdk.length}"/></References>
  <DiskSection><Info>disks</Info><Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="8" ovf:capacityAllocationUnits="byte * 2^20" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/></DiskSection>
  <NetworkSection><Info>networks</Info><Network ovf:name="VM Network"><Description>the VM network</Description></Network></NetworkSection>
  <VirtualSystem ovf:id="${name}">
    <Info>a test VM</Info>
    <OperatingSystemSection ovf:id="101" ovf:osType="other3xLinux64Guest"><Info>os</Info></OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>hardware</Info>
      <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>
      <Item><rasd:ElementName>2 CPUs</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>1024 MB</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></Item>
      <Item><rasd:ElementName>SCSI controller 0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>disk0</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:Connection>VM Network</rasd:Connection><rasd:ElementName>ethernet0</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`;
  await writeFile(join(work, `${name}.ovf`), ovf);
  const ova = join(dir, `${name}.ova`);
  // The descriptor first, as OVA requires.
  await run('tar', ['--format=ustar', '-C', work, '-cf', ova, `${name}.ovf`, 'disk.vmdk']);
  return { ova, vmdk };
}

const vmNames = async (): Promise<string[]> => {
  const res = await ore(['list-vms', '--json']);
  expect(res.exitCode, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as { name: string }[]).map((v) => v.name);
};

let small: { ova: string; vmdk: Buffer };

beforeAll(async () => {
  await requireOreBuild();
  dir = await mkdtemp(join(tmpdir(), 'mantle-ore-esx-'));
  esx = await startVcsim({ user: 'root', password: PASSWORD, nfcBps: 512 << 10, portgroup: 'Lab Network' });
  await mkdir(join(dir, 'home', '.config'), { recursive: true });
  await writeFile(
    join(dir, 'home', '.config', 'esx.json'),
    JSON.stringify({
      default: { server: `http://${esx.origin}`, user: 'root', password: PASSWORD },
      typo: { server: `http://${esx.origin}`, user: 'root', password: `${PASSWORD}-wrong` },
    }),
    { mode: 0o600 },
  );
  env = { ...process.env, HOME: join(dir, 'home') };
  small = await makeOva('flatcar-base', 64);
}, 300_000);

afterAll(async () => {
  await esx?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ore esx against vcsim (VMware vSphere simulator, one ESX host)', () => {
  it('create-base imports the OVA: the host holds the very disk bytes, the lease is completed', async () => {
    const res = await ore(['create-base', '--file', small.ova, '--name', 'flatcar-base', '--json']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      name: 'flatcar-base',
      files: [{ path: 'disk.vmdk', bytes: small.vmdk.length }],
      template: false,
      // the default: the host's first network
      network: 'VM Network',
    });
    const uploads = [...(await esx.uploads()).values()];
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.equals(small.vmdk)).toBe(true);
    const calls = await esx.journal();
    expect(calls).toEqual(
      expect.arrayContaining(['Login', 'CreateImportSpec', 'ImportVApp', 'HttpNfcLeaseComplete']),
    );
    expect(calls).not.toContain('HttpNfcLeaseAbort');
    expect(calls.at(-1)).toBe('Logout');
  });

  it('list-vms shows it powered off, as text and --json; a second import of the name is refused', async () => {
    const text = await ore(['list-vms', '--pattern', 'flatcar-*']);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^flatcar-base\tpoweredOff\tvm\t\S+\n$/);
    expect(await vmNames()).toContain('flatcar-base');
    const again = await ore(['create-base', '--file', small.ova, '--name', 'flatcar-base', '--json']);
    expect(again.exitCode).toBe(2);
    expect(jsonError(again.stderr)).toMatchObject({ code: 'ESX_VM_EXISTS' });
  });

  it('remove-vms: --dry-run removes nothing; then powers off and destroys by name and pattern', async () => {
    const dry = await ore(['remove-vms', '--pattern', 'ha-host_*', '--dry-run', '--json']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { dryRun: { operation: string }[] };
    expect(plan.dryRun.map((c) => c.operation)).toEqual([
      'PowerOffVM_Task',
      'Destroy_Task',
      'PowerOffVM_Task',
      'Destroy_Task',
    ]);
    expect(await vmNames()).toEqual(expect.arrayContaining(['ha-host_VM0', 'ha-host_VM1']));

    const res = await ore(['remove-vms', '--name', 'flatcar-base', '--pattern', 'ha-host_*']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'flatcar-base',
      'ha-host_VM0',
      'ha-host_VM1',
    ]);
    expect(await vmNames()).toEqual([]);
    const calls = await esx.journal();
    expect(calls.filter((c) => c === 'PowerOffVM_Task')).toHaveLength(2);
    expect(calls.filter((c) => c === 'Destroy_Task')).toHaveLength(3);
  });

  it('a wrong password is exit 3 naming the profile, the password nowhere; an unknown VM is exit 2', async () => {
    const bad = await ore(['list-vms', '--esx-profile', 'typo', '--json']);
    expect(bad.exitCode).toBe(3);
    expect(jsonError(bad.stderr)).toMatchObject({ code: 'ESX_AUTH' });
    expect(jsonError(bad.stderr).message).toContain('profile "typo"');
    expect(bad.stdout + bad.stderr).not.toContain(PASSWORD);

    const missing = await ore(['remove-vms', '--name', 'no-such-vm', '--json']);
    expect(missing.exitCode).toBe(2);
    expect(jsonError(missing.stderr)).toMatchObject({ code: 'ESX_VM_NOT_FOUND' });
    const notOva = await ore([
      'create-base',
      '--file',
      join(dir, 'home', '.config', 'esx.json'),
      '--name',
      'x',
      '--json',
    ]);
    expect(notOva.exitCode).toBe(2);
    expect(jsonError(notOva.stderr)).toMatchObject({ code: 'ESX_BAD_OVA' });
  });

  it('Ctrl-C during the disk upload exits 130: the lease is aborted and no VM is left', async () => {
    const big = await makeOva('flatcar-big', 2048);
    expect((await stat(big.ova)).size).toBeGreaterThan(2 << 20);
    const child = spawn(
      process.execPath,
      [ORE_BIN, 'esx', 'create-base', '--file', big.ova, '--name', 'flatcar-killed'],
      {
        cwd: dir,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    while ((await esx.uploading()) === 0 && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, stderr).toBe(130);
    const calls = await esx.journal();
    expect(calls.slice(calls.lastIndexOf('ImportVApp'))).toEqual(
      expect.arrayContaining(['HttpNfcLeaseAbort', 'Destroy_Task']),
    );
    expect(calls.slice(calls.lastIndexOf('ImportVApp'))).not.toContain('HttpNfcLeaseComplete');
    expect(await vmNames()).not.toContain('flatcar-killed');
    // The simulator drains what the socket had buffered before it sees the cut connection.
    for (let i = 0; i < 200 && (await esx.uploading()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await esx.uploading()).toBe(0);
    // Only the first import's disk: the interrupted one kept nothing.
    expect((await esx.uploads()).size).toBe(1);
  });

  it('--esx-network maps the OVF network to that host network; an unknown one is exit 2 listing them', async () => {
    const before = await esx.journal();
    const importLab = (network: string): ReturnType<typeof ore> =>
      ore(['create-base', '--file', small.ova, '--name', 'flatcar-lab', '--esx-network', network, '--json']);
    const unknown = await importLab('Nope');
    expect(unknown.exitCode).toBe(2);
    expect(jsonError(unknown.stderr)).toMatchObject({ code: 'ESX_NETWORK_NOT_FOUND' });
    expect(jsonError(unknown.stderr).message).toContain('"VM Network", "Lab Network"');
    // Refused before the host is asked to import anything.
    expect((await esx.journal()).slice(before.length)).not.toContain('CreateImportSpec');

    const res = await importLab('Lab Network');
    expect(res.exitCode, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ name: 'flatcar-lab', network: 'Lab Network' });
    // What the host made of it: the VM's network, read back through the API.
    const c = await EsxClient.connect({
      login: { server: `http://${esx.origin}`, user: 'root', password: PASSWORD },
      profile: 'the test',
    });
    try {
      const vm = (await listVms(c)).find((v) => v.name === 'flatcar-lab')!;
      const { network } = await c.properties(
        { type: 'VirtualMachine', value: vm.id },
        ['network'],
        'reading the VM',
      );
      const nets = many((network as XmlNode).ManagedObjectReference).map(toRef);
      const names = await Promise.all(
        nets.map(async (n) => text((await c.properties(n, ['name'], 'reading')).name)),
      );
      expect(names).toEqual(['Lab Network']);
    } finally {
      await c.logout();
    }
  });
});

describe('ore esx against vcsim over TLS with a self-signed certificate (what most ESX hosts have)', () => {
  let tlsEsx: Vcsim;
  let config: string;
  beforeAll(async () => {
    tlsEsx = await startVcsim({ user: 'root', password: PASSWORD, tls: true });
    expect(tlsEsx.url).toMatch(/^https:/);
    config = join(dir, 'esx-tls.json');
    const login = { server: tlsEsx.origin, user: 'root', password: PASSWORD };
    await writeFile(config, JSON.stringify({ default: login, lab: { ...login, insecure: true } }), {
      mode: 0o600,
    });
  }, 120_000);
  afterAll(async () => {
    await tlsEsx?.stop();
  });

  it('refuses the certificate by default (exit 3 naming the host and the way out)', async () => {
    const res = await ore(['list-vms', '--esx-config-file', config, '--json']);
    expect(res.exitCode).toBe(3);
    const err = jsonError(res.stderr);
    expect(err).toMatchObject({ code: 'ESX_TLS' });
    expect(err.message).toContain(tlsEsx.origin);
    expect(err.hint).toContain('--esx-insecure');
    expect(err.hint).toContain('"insecure": true');
    expect(await tlsEsx.journal()).toEqual([]);
  });

  it('--esx-insecure or "insecure": true in the profile skips it, with one warning', async () => {
    for (const args of [['--esx-insecure'], ['--esx-profile', 'lab']]) {
      const res = await ore(['list-vms', '--esx-config-file', config, ...args]);
      expect(res.exitCode, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/^ha-host_VM0\t/m);
      expect(res.stderr.match(/TLS certificate is NOT verified/g), res.stderr).toHaveLength(1);
      expect(res.stderr).toContain(tlsEsx.origin);
    }
    expect(await tlsEsx.journal()).toEqual(expect.arrayContaining(['Login', 'Logout']));
  });
});
