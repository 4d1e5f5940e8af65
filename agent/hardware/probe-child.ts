// Run as its own short-lived node process by profile.ts: asks systeminformation for the parts of
// the profile and prints them as one JSON line. The library, and the garbage of parsing dmidecode
// and /proc, never enter the long-running daemon, whose memory it would otherwise hold.
import si from 'systeminformation';
import type { ProbeData } from './profile.js';

const [cpu, mem, system, baseboard] = await Promise.all([si.cpu(), si.mem(), si.system(), si.baseboard()]);
const data: ProbeData = {
  cpu: { manufacturer: cpu.manufacturer, brand: cpu.brand, vendor: cpu.vendor, family: cpu.family, model: cpu.model, cores: cpu.cores },
  mem: { total: mem.total },
  system: { manufacturer: system.manufacturer, model: system.model, virtual: system.virtual, ...(system.virtualHost ? { virtualHost: system.virtualHost } : {}) },
  baseboard: { manufacturer: baseboard.manufacturer, model: baseboard.model },
};
process.stdout.write(`${JSON.stringify(data)}\n`);
