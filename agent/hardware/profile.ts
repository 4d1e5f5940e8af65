// The lab machine's hardware profile, gathered with systeminformation within a time limit; when
// the probe is too slow or fails, what Node's os module knows is used instead.
import { execFile } from 'node:child_process';
import { cpus, machine, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { messageOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { normalizeArch } from './class.js';

/** The longest the systeminformation probe may take (dmidecode and friends can be slow). */
export const HARDWARE_PROBE_TIMEOUT_MS = 10_000;
/** The most the probe process may print; its answer is a few hundred bytes. */
const PROBE_OUTPUT_MAX_BYTES = 1_048_576;

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

/** systeminformation, asked in a child node process (probe-child.ts) that is killed at `timeoutMs`. */
function systemInformation(timeoutMs: number): Promise<ProbeData> {
  const script = fileURLToPath(new URL('./probe-child.js', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: PROBE_OUTPUT_MAX_BYTES }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`the hardware probe process failed: ${stderr.trim() || error.message}`));
      try {
        resolve(JSON.parse(stdout) as ProbeData);
      } catch (cause) {
        reject(new Error(`the hardware probe process printed no profile: ${messageOf(cause)}`));
      }
    });
  });
}

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
    const data = await Promise.race([options.probe ? options.probe() : systemInformation(timeoutMs), deadline]);
    return profileFrom(data, host);
  } catch (error) {
    options.logger?.warn({ err: messageOf(error) }, 'hardware probe failed; using what the os module reports');
    return fallbackProfile(host);
  } finally {
    clearTimeout(timer);
  }
}
