// The hardware class of a profile: `<arch>/<vendor>/<model>`, e.g. `x86_64/AMD/EPYC-7763`. Pure.
//
// The rule, so that two testers with the same machine land in the same row of a report:
// - arch: the kernel's machine name (`uname -m`): x86_64, aarch64, riscv64, ppc64le, s390x.
// - vendor: the vendor the brand string starts with (Intel, AMD, Ampere, Apple, Hygon, …), else
//   the CPU's vendor id through a table (GenuineIntel → Intel, AuthenticAMD → AMD, ARM, …).
//   QEMU's generic models ("QEMU Virtual CPU version 2.5+", "Common KVM processor") say nothing
//   about the host, so their vendor is QEMU.
// - model: the brand string without trademarks ((R), (TM), ®, ™), the vendor's name, the clock
//   ("@ 2.00GHz"), generation prefixes ("13th Gen"), core counts ("64-Core"), and the words CPU,
//   Processor, version, "with Radeon Graphics"; what is left joined with dashes:
//   "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz" → Xeon-Gold-6338. With no brand, `family-F-model-M`.
// Every part keeps only letters, digits and `._+-`.
import type { HardwareProfile } from './profile.js';

/** The class used when the tester declares `hardware_class: auto`. */
export const AUTO = 'auto';
export const UNKNOWN = 'unknown';

const VENDOR_IDS: ReadonlyMap<string, string> = new Map([
  ['genuineintel', 'Intel'], ['intel', 'Intel'],
  ['authenticamd', 'AMD'], ['amd', 'AMD'], ['advanced micro devices', 'AMD'],
  ['hygongenuine', 'Hygon'], ['hygon', 'Hygon'],
  ['centaurhauls', 'Centaur'], ['shanghai', 'Zhaoxin'], ['zhaoxin', 'Zhaoxin'],
  ['arm', 'ARM'], ['arm limited', 'ARM'], ['apple', 'Apple'], ['ampere', 'Ampere'],
  ['qualcomm', 'Qualcomm'], ['cavium', 'Cavium'], ['hisilicon', 'HiSilicon'], ['fujitsu', 'Fujitsu'],
  ['nvidia', 'NVIDIA'], ['ibm', 'IBM'], ['sifive', 'SiFive'], ['qemu', 'QEMU'],
]);

const ARCH_ALIASES: ReadonlyMap<string, string> = new Map([['x64', 'x86_64'], ['amd64', 'x86_64'], ['arm64', 'aarch64'], ['ia32', 'i686']]);

const GENERIC_QEMU = /^(QEMU Virtual CPU|Common (32-bit )?KVM processor)/i;

const TRADEMARKS = /\((R|TM|C)\)|®|™/gi;

const NOISE: readonly RegExp[] = [
  /@\s*[\d.]+\s*[GM]Hz/gi,
  /\b[\d.]+\s*[GM]Hz\b/gi,
  /\b\d+(st|nd|rd|th)\s+Gen(eration)?\b/gi,
  /\b\d+-Core\b/gi,
  /\bwith Radeon( \w+)? Graphics\b/gi,
  /\b(CPU|Processor|version)\b/gi,
  /\bAdvanced Micro Devices\b/gi,
  /[(),]/g,
];

/** `uname -m` spelling of an architecture, whatever tool reported it. */
export function normalizeArch(arch: string): string {
  const lower = arch.trim().toLowerCase();
  return ARCH_ALIASES.get(lower) ?? (lower || UNKNOWN);
}

function clean(part: string): string {
  return part.replace(/[^A-Za-z0-9._+-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-|-$/g, '');
}

function stripTrademarks(brand: string): string {
  return brand.replace(TRADEMARKS, '').replace(/\s+/g, ' ').trim();
}

/** The vendor's short name; see the rule at the top of this file. */
export function vendorOf(profile: Pick<HardwareProfile, 'cpuVendor' | 'cpuBrand'>): string {
  const brand = stripTrademarks(profile.cpuBrand);
  if (GENERIC_QEMU.test(brand)) return 'QEMU';
  const lower = brand.toLowerCase();
  for (const [id, name] of VENDOR_IDS) if (lower === id || lower.startsWith(`${id} `)) return name;
  const vendor = profile.cpuVendor.trim();
  return VENDOR_IDS.get(vendor.toLowerCase()) ?? (clean(vendor) || UNKNOWN);
}

/** The model token; see the rule at the top of this file. */
export function modelOf(profile: Pick<HardwareProfile, 'cpuBrand' | 'cpuFamily' | 'cpuModel'>, vendor: string): string {
  let brand = stripTrademarks(profile.cpuBrand);
  for (const pattern of NOISE) brand = brand.replace(pattern, ' ');
  const vendorWords = new Set([vendor.toLowerCase(), 'qemu']);
  const words = brand.split(/\s+/).filter((word) => word !== '' && !vendorWords.has(word.toLowerCase()));
  const token = clean(words.join('-'));
  if (token) return token;
  const family = clean(profile.cpuFamily);
  const model = clean(profile.cpuModel);
  return family || model ? `family-${family || UNKNOWN}-model-${model || UNKNOWN}` : UNKNOWN;
}

/** `<arch>/<vendor>/<model>` of a profile, e.g. `x86_64/Intel/Xeon-Gold-6338`. */
export function hardwareClassOf(profile: Pick<HardwareProfile, 'arch' | 'cpuVendor' | 'cpuBrand' | 'cpuFamily' | 'cpuModel'>): string {
  const vendor = vendorOf(profile);
  return `${clean(normalizeArch(profile.arch)) || UNKNOWN}/${vendor}/${modelOf(profile, vendor)}`;
}

/** The declared class wins; `auto` derives it from the profile. */
export function resolveHardwareClass(declared: string, profile: HardwareProfile): string {
  return declared === AUTO ? hardwareClassOf(profile) : declared;
}
