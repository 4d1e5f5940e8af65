// The lab machine's hardware: its profile (systeminformation, time-limited) and its class.
export { AUTO, hardwareClassOf, modelOf, normalizeArch, resolveHardwareClass, vendorOf } from './class.js';
export { HARDWARE_PROBE_TIMEOUT_MS, fallbackProfile, gatherHardwareProfile, hostFacts, profileFrom, type HardwareProfile, type HostFacts, type Probe, type ProbeData } from './profile.js';
export { profileToProto } from './proto.js';
