// `darkroom agent check`: everything an agent needs before it can run, checked without running a
// job — the hardware and its class, each tree a usable git checkout, the state directory private,
// at least one maintainer pinned.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../shared/log.js';
import { AUTO_HARDWARE_CLASS, checkMemoryBacked, type AgentConfig } from './config/index.js';
import { gatherHardwareProfile, resolveHardwareClass, type HardwareProfile } from './hardware/index.js';
import { checkTree } from './pipeline/git-tree.js';
import { noTrustedMaintainers } from './trusted-signer.js';
import { probeSandbox, UNSAFE_NO_SANDBOX } from './sandbox/probe.js';

export interface TreeCheck {
  name: string;
  path: string;
  /** The checkout's HEAD commit when usable. */
  head?: string;
  problem?: string;
}

export interface AgentCheck {
  profile: HardwareProfile;
  hardwareClass: string;
  /** True when the tester declared the class rather than `auto`. */
  declaredClass: boolean;
  trees: TreeCheck[];
  /** How the state directory and workspace stand, for people. */
  stateDir: string;
  workspace: string;
  /** How the sandbox stands: works (and how), does not, or is turned off. */
  sandbox: string;
  /** One sentence per thing to fix; empty when the agent is ready. */
  problems: string[];
  /** Settings the agent runs with but that weaken it (sandbox: none). */
  warnings: string[];
}

type DirCheck = { ok: true; summary: string } | { ok: false; problem: string };

/** The state directory holds the agent's keys: it must be ours, private, and writable. */
export async function checkStateDir(dir: string): Promise<DirCheck> {
  const stats = await stat(dir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
  if (!stats) {
    let parent = dirname(dir);
    while (!(await stat(parent).then(() => true, () => false)) && dirname(parent) !== parent) parent = dirname(parent);
    const writable = await access(parent, constants.W_OK).then(() => true, () => false);
    if (writable) return { ok: true, summary: 'does not exist yet: agent enroll creates it (mode 0700)' };
    return { ok: false, problem: `State directory ${dir} does not exist and ${parent} is not writable by this user: create it with install -d -m 0700 -o $(id -un) ${dir}` };
  }
  if (!stats.isDirectory()) return { ok: false, problem: `State directory ${dir} is not a directory: point state_dir at a directory` };
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) return { ok: false, problem: `State directory ${dir} belongs to uid ${stats.uid}, not to this user (uid ${uid}): run the agent as its owner or chown it` };
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) !== 0) return { ok: false, problem: `State directory ${dir} is open to other users (mode ${mode.toString(8).padStart(4, '0')}): chmod 700 ${dir}` };
  if (!(await access(dir, constants.W_OK).then(() => true, () => false))) return { ok: false, problem: `State directory ${dir} is not writable: chmod u+w ${dir}` };
  return { ok: true, summary: 'private (0700), writable' };
}

/** Checks a loaded config against this machine; problems are collected, never thrown. */
export async function checkAgent(config: AgentConfig, options: { logger?: Logger; probeTimeoutMs?: number } = {}): Promise<AgentCheck> {
  const problems: string[] = [];
  const profile = await gatherHardwareProfile({
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.probeTimeoutMs === undefined ? {} : { timeoutMs: options.probeTimeoutMs }),
  });
  const trees: TreeCheck[] = [];
  for (const tree of config.trees) {
    const usable = await checkTree(tree.path);
    if (usable.ok) {
      trees.push({ name: tree.name, path: tree.path, head: usable.head });
    } else {
      trees.push({ name: tree.name, path: tree.path, problem: usable.problem });
      problems.push(`Tree ${tree.name} is unusable: ${usable.problem}`);
    }
  }
  if (config.trustedMaintainers.length === 0) problems.push(noTrustedMaintainers(config.file));
  const state = await checkStateDir(config.stateDir);
  if (!state.ok) problems.push(state.problem);
  let workspace = 'on disk (set workspace.tmpfs to keep plaintext in memory)';
  if (config.workspace.memoryBacked) {
    const memory = await checkMemoryBacked(config.workspace.root);
    workspace = memory.ok ? `memory-backed (${memory.fs})` : 'unusable';
    if (!memory.ok) problems.push(`Workspace ${config.workspace.root} is unusable: ${memory.problem}`);
  }
  const warnings: string[] = [];
  let sandbox = 'none: UNSAFE, the code under test is not contained';
  if (config.sandbox === 'none') {
    warnings.push(UNSAFE_NO_SANDBOX);
  } else {
    const probe = await probeSandbox();
    sandbox = probe.ok ? `bubblewrap: ${probe.summary}` : 'bubblewrap: DOES NOT WORK here';
    if (!probe.ok) problems.push(probe.problem);
  }
  return {
    profile,
    hardwareClass: resolveHardwareClass(config.hardwareClass, profile),
    declaredClass: config.hardwareClass !== AUTO_HARDWARE_CLASS,
    trees,
    stateDir: state.ok ? state.summary : 'unusable',
    workspace,
    sandbox,
    problems,
    warnings,
  };
}
