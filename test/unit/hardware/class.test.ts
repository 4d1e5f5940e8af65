import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hardwareClassOf, normalizeArch, resolveHardwareClass } from '../../../agent/hardware/class.js';
import type { HardwareProfile } from '../../../agent/hardware/profile.js';

function profile(arch: string, cpuVendor: string, cpuBrand: string, extra: Partial<HardwareProfile> = {}): HardwareProfile {
  return {
    arch, cpuVendor, cpuBrand, cpuFamily: '', cpuModel: '', cpuCores: 8, memoryBytes: 32 * 2 ** 30,
    systemVendor: '', systemModel: '', boardVendor: '', boardModel: '', virtualization: 'none', ...extra,
  };
}

// Model names as /proc/cpuinfo prints them on real machines (and QEMU guests).
const BRANDS: readonly [arch: string, vendor: string, brand: string, expected: string][] = [
  ['x86_64', 'Intel', 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz', 'x86_64/Intel/Xeon-Gold-6338'],
  ['x86_64', 'AMD', 'AMD EPYC 7763 64-Core Processor', 'x86_64/AMD/EPYC-7763'],
  ['x86_64', 'AMD', 'AMD EPYC 9654 96-Core Processor', 'x86_64/AMD/EPYC-9654'],
  ['x86_64', 'Intel', 'Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz', 'x86_64/Intel/Core-i7-8700K'],
  ['x86_64', 'Intel', 'Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz', 'x86_64/Intel/Xeon-E5-2680-v4'],
  ['x86_64', 'Intel', 'Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz', 'x86_64/Intel/Xeon-Platinum-8375C'],
  ['x86_64', 'Intel', '13th Gen Intel(R) Core(TM) i9-13900K', 'x86_64/Intel/Core-i9-13900K'],
  ['x86_64', 'Intel', 'Intel(R) Core(TM) Ultra 7 155H', 'x86_64/Intel/Core-Ultra-7-155H'],
  ['x86_64', 'Intel', 'Intel(R) Core(TM)2 Duo CPU     E8400  @ 3.00GHz', 'x86_64/Intel/Core2-Duo-E8400'],
  ['x86_64', 'AMD', 'AMD Ryzen 9 5950X 16-Core Processor', 'x86_64/AMD/Ryzen-9-5950X'],
  ['x86_64', 'AMD', 'AMD Ryzen 7 PRO 4750U with Radeon Graphics', 'x86_64/AMD/Ryzen-7-PRO-4750U'],
  ['x86_64', 'AMD', 'AMD Opteron(tm) Processor 6274', 'x86_64/AMD/Opteron-6274'],
  ['x86_64', 'Hygon', 'Hygon C86 7185 32-core Processor', 'x86_64/Hygon/C86-7185'],
  ['x86_64', 'AMD', 'AMD EPYC', 'x86_64/AMD/EPYC'],
  // QEMU: generic models say nothing about the host; named models keep their name.
  ['x86_64', 'GenuineIntel', 'QEMU Virtual CPU version 2.5+', 'x86_64/QEMU/Virtual-2.5+'],
  ['x86_64', 'AuthenticAMD', 'Common KVM processor', 'x86_64/QEMU/Common-KVM'],
  ['x86_64', 'AuthenticAMD', 'AMD EPYC-Milan Processor', 'x86_64/AMD/EPYC-Milan'],
  ['x86_64', 'GenuineIntel', 'Intel Xeon Processor (Icelake)', 'x86_64/Intel/Xeon-Icelake'],
  ['x86_64', 'GenuineIntel', 'Intel Core Processor (Skylake, IBRS)', 'x86_64/Intel/Core-Skylake-IBRS'],
  // ARM: no model name in /proc/cpuinfo on most boards; systeminformation names the core.
  ['aarch64', 'ARM', 'Neoverse-N1', 'aarch64/ARM/Neoverse-N1'],
  ['aarch64', 'ARM', 'ARM Cortex-A72', 'aarch64/ARM/Cortex-A72'],
  ['aarch64', 'ARM', 'Ampere(R) Altra(R) Processor Q80-30 CPU @ 3.0GHz', 'aarch64/Ampere/Altra-Q80-30'],
  ['arm64', 'Apple', 'Apple M2 Pro', 'aarch64/Apple/M2-Pro'],
];

test('classes of real brand strings', () => {
  for (const [arch, vendor, brand, expected] of BRANDS) assert.equal(hardwareClassOf(profile(arch, vendor, brand)), expected, brand);
});

test('the vendor id is shortened when the brand does not name the vendor', () => {
  assert.equal(hardwareClassOf(profile('x86_64', 'GenuineIntel', 'Xeon® Gold 6338')), 'x86_64/Intel/Xeon-Gold-6338');
  assert.equal(hardwareClassOf(profile('riscv64', 'SiFive', 'U74-MC')), 'riscv64/SiFive/U74-MC');
  assert.equal(hardwareClassOf(profile('ppc64le', 'Some Odd Vendor', 'POWER9 (raw), altivec supported')), 'ppc64le/Some-Odd-Vendor/POWER9-raw-altivec-supported');
});

test('with no brand the class falls back to family and model, then unknown', () => {
  assert.equal(hardwareClassOf(profile('aarch64', 'ARM', '', { cpuFamily: '8', cpuModel: '0xd0c' })), 'aarch64/ARM/family-8-model-0xd0c');
  assert.equal(hardwareClassOf(profile('', '', '')), 'unknown/unknown/unknown');
});

test('architectures are spelt as uname -m does', () => {
  assert.equal(normalizeArch('x64'), 'x86_64');
  assert.equal(normalizeArch('arm64'), 'aarch64');
  assert.equal(normalizeArch('riscv64'), 'riscv64');
});

test('a declared class overrides the derived one', () => {
  const epyc = profile('x86_64', 'AMD', 'AMD EPYC 7763 64-Core Processor');
  assert.equal(resolveHardwareClass('auto', epyc), 'x86_64/AMD/EPYC-7763');
  assert.equal(resolveHardwareClass('lab/epyc-nvme-raid', epyc), 'lab/epyc-nvme-raid');
});
