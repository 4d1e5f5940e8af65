// The lab machine's hardware profile, gathered with systeminformation within a time limit; when
// the probe is too slow or fails, what Node's os module knows is used instead.
import { cpus, machine, totalmem } from 'node:os';
import si from 'systeminformation';
import { messageOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { normalizeArch } from './class.js';

/** The longest the systeminformation probe may take (dmidecode and friends can be slow). */
export const HARDWARE_PROBE_TIMEOUT_MS = 10_000;

/** Field for field the wire's darkroom.v1.HardwareProfile; strings are empty when unknown. */
export interface HardwareProfile {
  arch: string;
  cpuVendor: string;
  cpuBrand: string;
  cpuFamily: string;
  cpuModel: string;
  cpuCores: number;
  memoryBytes: number;
  systemVendor: string;
  systemModel: string;
  boardVendor: string;
  boardModel: string;
  /** `none`, or the hypervisor in lower case (`kvm`, `vmware`, …), `unknown` when unnamed. */
  virtualization: string;
}

/** What the probe returns: the parts of systeminformation's answers the profile uses. */
export interface ProbeData {
  cpu: { manufacturer: string; brand: string; vendor: string; family: string; model: string; cores: number };
  mem: { total: number };
  system: { manufacturer: string; model: string; virtual: boolean; virtualHost?: string };
  baseboard: { manufacturer: string; model: string };
}

export type Probe = () => Promise<ProbeData>;

/** What the host says without systeminformation: `uname -m` and the CPU model name. */
export interface HostFacts {
  machine: string;
  modelName: string;
  cores: number;
  memoryBytes: number;
}

export function hostFacts(): HostFacts {
  const list = cpus();
  return { machine: machine(), modelName: list[0]?.model.trim() ?? '', cores: list.length, memoryBytes: totalmem() };
}

const systemInformation: Probe = async () => {
  const [cpu, mem, system, baseboard] = await Promise.all([si.cpu(), si.mem(), si.system(), si.baseboard()]);
  return { cpu, mem, system, baseboard };
};

/** systeminformation writes "-" or "Default string" where firmware left a field blank. */
function field(value: string | undefined): string {
  const text = (value ?? '').trim();
  return /^(-|default string|to be filled by o\.e\.m\.|not specified|none)$/i.test(text) ? '' : text;
}

/**
 * The profile from the probe's answers. The brand is the kernel's own model name when it has one
 * (systeminformation shortens it: "Xeon® Gold 6338"), else the probe's vendor and brand.
 */
export function profileFrom(data: ProbeData, host: HostFacts): HardwareProfile {
  const shortBrand = [field(data.cpu.manufacturer), field(data.cpu.brand)].filter(Boolean).join(' ');
  const virtualHost = field(data.system.virtualHost).toLowerCase();
  return {
    arch: normalizeArch(host.machine),
    cpuVendor: field(data.cpu.manufacturer) || field(data.cpu.vendor),
    cpuBrand: host.modelName || shortBrand,
    cpuFamily: field(data.cpu.family),
    cpuModel: field(data.cpu.model),
    cpuCores: data.cpu.cores || host.cores,
    memoryBytes: data.mem.total || host.memoryBytes,
    systemVendor: field(data.system.manufacturer),
    systemModel: field(data.system.model),
    boardVendor: field(data.baseboard.manufacturer),
    boardModel: field(data.baseboard.model),
    virtualization: data.system.virtual ? virtualHost || 'unknown' : 'none',
  };
}

/** The profile from the host facts alone, when the probe did not answer in time. */
export function fallbackProfile(host: HostFacts): HardwareProfile {
  return {
    arch: normalizeArch(host.machine), cpuVendor: '', cpuBrand: host.modelName, cpuFamily: '', cpuModel: '', cpuCores: host.cores,
    memoryBytes: host.memoryBytes, systemVendor: '', systemModel: '', boardVendor: '', boardModel: '', virtualization: 'unknown',
  };
}

/**
 * Gathers the profile. Never throws: a probe that fails or exceeds `timeoutMs` is logged and the
 * host facts are used, so a slow firmware query cannot stop the agent from starting.
 */
export async function gatherHardwareProfile(options: { timeoutMs?: number; logger?: Logger; probe?: Probe; host?: HostFacts } = {}): Promise<HardwareProfile> {
  const timeoutMs = options.timeoutMs ?? HARDWARE_PROBE_TIMEOUT_MS;
  const host = options.host ?? hostFacts();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the hardware probe took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const data = await Promise.race([(options.probe ?? systemInformation)(), deadline]);
    return profileFrom(data, host);
  } catch (error) {
    options.logger?.warn({ err: messageOf(error) }, 'hardware probe failed; using what the os module reports');
    return fallbackProfile(host);
  } finally {
    clearTimeout(timer);
  }
}
