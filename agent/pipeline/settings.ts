// What one job needs to know about the tester's setup for its tree, independent of how the
// config file spells it (the daemon maps the config onto this).
import type { WorkloadFormat } from '../parsers/index.js';

export interface CommandStage {
  command: string;
  timeoutMs: number;
}

export type BootSettings =
  | { method: 'none' }
  | { method: 'command'; command: string; timeoutMs: number }
  | { method: 'qemu'; binary: string; kernel: string; memoryMb: number; cpus: number; append: string; extraArgs: string[]; timeoutMs: number; busybox: string; genInitCpio: string }
  | { method: 'reboot' | 'kexec'; command: string; expectKernelCommand: string; expected: string; timeoutMs: number };

export interface WorkloadSettings {
  name: string;
  command: string;
  timeoutMs: number;
  format: WorkloadFormat;
  inGuest: boolean;
  junitFile?: string;
  /** The tester opened the network for this workload (in_guest: for the QEMU boot that runs it); absent: loopback only. */
  network?: boolean;
}

export interface TreeSettings {
  name: string;
  /** The tester's own checkout. */
  path: string;
  /** The folder of the agent's config file, for the lab's own scripts (DARKROOM_CONFIG_DIR). */
  configDir: string;
  build: CommandStage | null;
  /**
   * Keep the out-of-tree build directory between jobs (incremental builds): it is first built at
   * the job's base, and what a job builds on top is deleted when the job ends (build-cache.ts).
   */
  reuseBuildDir: boolean;
  boot: BootSettings;
  workloads: WorkloadSettings[];
  /** The tester opened the network for every command of this tree; absent: loopback only. */
  network?: boolean;
}
