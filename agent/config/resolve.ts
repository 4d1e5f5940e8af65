// Maps a validated agent.yaml onto what the daemon uses: defaults filled in, paths made absolute,
// each tree's build/boot/workloads settled, and the checks that span several keys.
import { isAbsolute, join, resolve } from 'node:path';
import type { ConfigPath } from '../../shared/yaml-problems.js';
import type { RawBoot, RawCommandStage, RawConfig, RawTree, RawWorkload, SandboxMode } from './schema.js';
import type { BootSettings, CommandStage, TreeSettings, WorkloadSettings } from '../pipeline/settings.js';

export const AUTO_HARDWARE_CLASS = 'auto';
export const DEFAULT_CONCURRENCY = 1;
export const DEFAULT_SANDBOX: SandboxMode = 'bubblewrap';
export const DEFAULT_BUILD_TIMEOUT_MS = 2 * 3_600_000;
export const DEFAULT_BOOT_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_WORKLOAD_TIMEOUT_MS = 3_600_000;
/** Where `workspace: {tmpfs: true}` puts job plaintext: a memory-backed mount on every Linux. */
export const DEFAULT_MEMORY_WORKSPACE = '/dev/shm/darkroom';
/** The on-disk workspace, below the state directory, when no memory-backed one is asked for. */
export const DISK_WORKSPACE_NAME = 'workspace';
/** Placeholder the pipeline replaces with the job's build directory. */
export const BUILD_DIR_PLACEHOLDER = '${BUILD_DIR}';

export const QEMU_DEFAULTS = {
  binary: 'qemu-system-x86_64',
  kernel: `${BUILD_DIR_PLACEHOLDER}/arch/x86/boot/bzImage`,
  memoryMb: 256,
  cpus: 1,
  append: 'console=ttyS0 panic=-1',
  busybox: '/bin/busybox',
  genInitCpio: `${BUILD_DIR_PLACEHOLDER}/usr/gen_init_cpio`,
} as const;

/** After a reboot or kexec, what the running kernel says about itself … */
export const DEFAULT_EXPECT_KERNEL_COMMAND = 'uname -r';
/** … must equal what this prints before the hand-over (the release of the kernel just built). */
export const DEFAULT_EXPECTED_KERNEL = 'cat "$DARKROOM_BUILD_DIR/include/config/kernel.release"';

export interface AgentConfig {
  /** Absolute path of the file the config was read from. */
  file: string;
  coordinator: { url: string; fingerprint: string };
  /**
   * Fingerprints of the maintainers whose bundles this agent runs (`trusted_maintainers`), as the
   * tester received them outside the coordinator. Empty: the agent runs nothing.
   */
  trustedMaintainers: string[];
  stateDir: string;
  /** Display name proposed at enrolment; the coordinator has the last word. */
  name?: string;
  /** `auto` (derive from the hardware profile) or the class the tester declared. */
  hardwareClass: string;
  /** Root of the job workspaces; `memoryBacked` when the tester asked for tmpfs/ramfs. */
  workspace: { root: string; memoryBacked: boolean };
  concurrency: number;
  /** `bubblewrap`: every command of a job runs in the sandbox (agent/sandbox/); `none`: as the agent itself (unsafe). */
  sandbox: SandboxMode;
  trees: TreeSettings[];
  /** The lab name the tester agreed to publish after disclosure (signed into each result); absent: anonymous. */
  publicLab?: string;
}

export interface PathProblem {
  path: ConfigPath;
  message: string;
}

/** Settles a validated config; every problem that spans several keys is returned, none thrown. */
export function resolveConfig(raw: RawConfig, file: string): { config: AgentConfig; problems: PathProblem[] } {
  const dir = resolve(file, '..');
  const problems: PathProblem[] = [];
  const stateDir = resolve(dir, raw.state_dir);
  const tmpfs = raw.workspace?.tmpfs ?? false;
  const workspace = tmpfs === false
    ? { root: join(stateDir, DISK_WORKSPACE_NAME), memoryBacked: false }
    : { root: tmpfs === true ? DEFAULT_MEMORY_WORKSPACE : resolve(dir, tmpfs), memoryBacked: true };
  const entries = Object.entries(raw.trees);
  if (entries.length === 0) problems.push({ path: ['trees'], message: 'declare at least one tree: NAME: PATH of your git checkout' });
  problems.push(...duplicateWorkloads(raw.workloads ?? [], ['workloads']));
  const trees = entries.map(([name, tree]) => resolveTree(name, tree, { raw, dir, problems }));
  const config: AgentConfig = {
    file,
    coordinator: { url: raw.coordinator.url, fingerprint: raw.coordinator.fingerprint },
    trustedMaintainers: [...new Set(raw.trusted_maintainers ?? [])],
    stateDir,
    ...(raw.name === undefined ? {} : { name: raw.name }),
    hardwareClass: raw.hardware_class ?? AUTO_HARDWARE_CLASS,
    workspace,
    concurrency: raw.concurrency ?? DEFAULT_CONCURRENCY,
    sandbox: raw.sandbox ?? DEFAULT_SANDBOX,
    trees,
    ...(raw.public_lab === undefined ? {} : { publicLab: raw.public_lab }),
  };
  return { config, problems: dedupe(problems) };
}

function resolveTree(name: string, tree: RawTree, context: { raw: RawConfig; dir: string; problems: PathProblem[] }): TreeSettings {
  const { raw, dir, problems } = context;
  const buildRaw = tree.build !== undefined ? tree.build : raw.build ?? null;
  const bootRaw = tree.boot ?? raw.boot ?? { method: 'none' as const };
  const own = tree.workloads !== undefined;
  const workloadsPath: ConfigPath = own ? ['trees', name, 'workloads'] : ['workloads'];
  const workloadsRaw = tree.workloads ?? raw.workloads ?? [];
  if (own) problems.push(...duplicateWorkloads(workloadsRaw, workloadsPath));
  workloadsRaw.forEach((workload, index) => {
    if (workload.in_guest && bootRaw.method !== 'qemu') {
      problems.push({ path: [...workloadsPath, index, 'in_guest'], message: `in_guest needs boot method qemu, but tree ${name} boots with method ${bootRaw.method}: set boot.method: qemu or drop in_guest` });
    }
    if (workload.junit_file !== undefined && (workload.format ?? 'exit-code') !== 'junit') {
      problems.push({ path: [...workloadsPath, index, 'junit_file'], message: 'junit_file is only read for format junit: set format: junit or drop junit_file' });
    }
  });
  return {
    name,
    path: resolve(dir, tree.path),
    configDir: dir,
    build: buildRaw === null ? null : commandStage(buildRaw, DEFAULT_BUILD_TIMEOUT_MS),
    reuseBuildDir: tree.reuse_build_dir ?? raw.reuse_build_dir ?? false,
    boot: bootSettings(bootRaw, dir),
    workloads: workloadsRaw.map((workload) => workloadSettings(workload, dir)),
    ...(tree.network === undefined ? {} : { network: tree.network }),
  };
}

function duplicateWorkloads(workloads: RawWorkload[], path: ConfigPath): PathProblem[] {
  const seen = new Set<string>();
  const problems: PathProblem[] = [];
  workloads.forEach((workload, index) => {
    if (seen.has(workload.name)) problems.push({ path: [...path, index, 'name'], message: `workload ${workload.name} is declared twice: give each workload its own name` });
    seen.add(workload.name);
  });
  return problems;
}

function dedupe(problems: PathProblem[]): PathProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.path.join('\0')}\0${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function commandStage(raw: RawCommandStage, defaultTimeoutMs: number): CommandStage {
  return { command: raw.command, timeoutMs: raw.timeout ?? defaultTimeoutMs };
}

/** Build outputs (kernel, gen_init_cpio) are relative to the job's build directory. */
function inBuildDir(path: string | undefined, fallback: string): string {
  if (path === undefined) return fallback;
  return isAbsolute(path) || path.startsWith('${') ? path : `${BUILD_DIR_PLACEHOLDER}/${path}`;
}

/** A program name is looked up on PATH; anything with a slash is a path from the config's folder. */
function program(dir: string, name: string): string {
  return name.includes('/') ? resolve(dir, name) : name;
}

function bootSettings(raw: RawBoot, dir: string): BootSettings {
  const timeoutMs = 'timeout' in raw && raw.timeout !== undefined ? raw.timeout : DEFAULT_BOOT_TIMEOUT_MS;
  switch (raw.method) {
    case 'none':
      return { method: 'none' };
    case 'command':
      return { method: 'command', command: raw.command, timeoutMs };
    case 'qemu':
      return {
        method: 'qemu',
        binary: program(dir, raw.binary ?? QEMU_DEFAULTS.binary),
        kernel: inBuildDir(raw.kernel, QEMU_DEFAULTS.kernel),
        memoryMb: raw.memory_mb ?? QEMU_DEFAULTS.memoryMb,
        cpus: raw.cpus ?? QEMU_DEFAULTS.cpus,
        append: raw.append ?? QEMU_DEFAULTS.append,
        extraArgs: raw.extra_args ?? [],
        timeoutMs,
        busybox: resolve(dir, raw.busybox ?? QEMU_DEFAULTS.busybox),
        genInitCpio: inBuildDir(raw.gen_init_cpio, QEMU_DEFAULTS.genInitCpio),
      };
    case 'reboot':
    case 'kexec':
      return {
        method: raw.method,
        command: raw.command,
        expectKernelCommand: raw.expect_kernel_command ?? DEFAULT_EXPECT_KERNEL_COMMAND,
        expected: raw.expected ?? DEFAULT_EXPECTED_KERNEL,
        timeoutMs,
      };
  }
}

/**
 * An in-guest workload's command is a script copied into the guest: a path from the config's
 * folder, or one in the job's checkout or build directory (${TREE}/…, ${BUILD_DIR}/…).
 */
function workloadSettings(raw: RawWorkload, dir: string): WorkloadSettings {
  const inGuest = raw.in_guest ?? false;
  const script = raw.command.startsWith('${') ? raw.command : resolve(dir, raw.command);
  return {
    name: raw.name,
    command: inGuest ? script : raw.command,
    timeoutMs: raw.timeout ?? DEFAULT_WORKLOAD_TIMEOUT_MS,
    format: raw.format ?? 'exit-code',
    inGuest,
    ...(raw.junit_file === undefined ? {} : { junitFile: raw.junit_file }),
    ...(raw.network === undefined ? {} : { network: raw.network }),
  };
}
