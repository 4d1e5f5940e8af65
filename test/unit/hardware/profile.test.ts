import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../../proto/darkroom.js';
import { hardwareClassOf } from '../../../agent/hardware/class.js';
import { gatherHardwareProfile, profileFrom, type HostFacts, type ProbeData } from '../../../agent/hardware/profile.js';
import { profileToProto } from '../../../agent/hardware/proto.js';

const HOST: HostFacts = { machine: 'x86_64', modelName: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz', cores: 128, memoryBytes: 512 * 2 ** 30 };

// systeminformation's answers on a Dell server (shortened brand, firmware placeholders).
const SERVER: ProbeData = {
  cpu: { manufacturer: 'Intel', brand: 'Xeon® Gold 6338', vendor: 'GenuineIntel', family: '6', model: '106', cores: 128 },
  mem: { total: 549_755_813_888 },
  system: { manufacturer: 'Dell Inc.', model: 'PowerEdge R750', virtual: false, virtualHost: '' },
  baseboard: { manufacturer: 'Dell Inc.', model: 'Default string' },
};

test('the profile takes the kernel model name, the probe fields, and blanks out firmware placeholders', () => {
  const profile = profileFrom(SERVER, HOST);
  assert.deepEqual(profile, {
    arch: 'x86_64', cpuVendor: 'Intel', cpuBrand: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz', cpuFamily: '6', cpuModel: '106', cpuCores: 128,
    memoryBytes: 549_755_813_888, systemVendor: 'Dell Inc.', systemModel: 'PowerEdge R750', boardVendor: 'Dell Inc.', boardModel: '', virtualization: 'none',
  });
  assert.equal(hardwareClassOf(profile), 'x86_64/Intel/Xeon-Gold-6338');
});

test('a virtual machine names its hypervisor; without a kernel model name the probe brand is used', () => {
  const vm: ProbeData = { ...SERVER, cpu: { ...SERVER.cpu, manufacturer: 'AMD', brand: 'EPYC 7763', vendor: 'AuthenticAMD' }, system: { manufacturer: 'QEMU', model: 'Standard PC (Q35 + ICH9, 2009)', virtual: true, virtualHost: 'KVM' } };
  const profile = profileFrom(vm, { ...HOST, modelName: '' });
  assert.equal(profile.virtualization, 'kvm');
  assert.equal(profile.cpuBrand, 'AMD EPYC 7763');
  assert.equal(hardwareClassOf(profile), 'x86_64/AMD/EPYC-7763');
});

test('a probe slower than its time limit falls back to the host facts', async () => {
  const never = () => new Promise<ProbeData>(() => undefined);
  const profile = await gatherHardwareProfile({ probe: never, timeoutMs: 20, host: HOST });
  assert.equal(profile.cpuBrand, HOST.modelName);
  assert.equal(profile.cpuCores, 128);
  assert.equal(profile.virtualization, 'unknown');
  assert.equal(hardwareClassOf(profile), 'x86_64/Intel/Xeon-Gold-6338');
});

test('a failing probe falls back too', async () => {
  const profile = await gatherHardwareProfile({ probe: () => Promise.reject(new Error('dmidecode: permission denied')), host: HOST });
  assert.equal(profile.memoryBytes, HOST.memoryBytes);
});

test('the real probe on this machine gives a profile that round-trips through the wire message', async () => {
  const profile = await gatherHardwareProfile();
  assert.ok(profile.arch.length > 0);
  assert.ok(profile.cpuCores >= 1);
  assert.ok(profile.memoryBytes > 0);
  const decoded = darkroom.v1.HardwareProfile.decode(darkroom.v1.HardwareProfile.encode(profileToProto(profile)).finish());
  assert.equal(decoded.cpuBrand, profile.cpuBrand);
  assert.equal(Number(decoded.memoryBytes), profile.memoryBytes);
  assert.match(hardwareClassOf(profile), /^[^/]+\/[^/]+\/[^/]+$/);
});
