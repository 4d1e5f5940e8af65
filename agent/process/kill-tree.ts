// Ends a command's whole process tree: SIGTERM, a grace period, then SIGKILL, for every member.
import { setTimeout as sleep } from 'node:timers/promises';
import { descendantsOf, hasEnvironmentEntry, isGone, readProcess, readProcessTable, type ProcessEntry } from './proc-table.js';

/** How long a tree may shut down after SIGTERM before it is sent SIGKILL. */
export const KILL_GRACE_MS = 5_000;
/** How often a dying tree is looked at during the grace period. */
const POLL_MS = 50;
/** How long to wait after SIGKILL for the kernel to tear the processes down. */
const REAP_WAIT_MS = 2_000;

/**
 * The members of a command's tree:
 * - `pid`: the command itself (it leads its own process group, being spawned detached);
 * - every process in that group;
 * - every descendant of any of those by parent links, taken before anything is signalled, since
 *   a killed parent's children are re-parented and the links are lost;
 * - every process whose environment holds `marker` (NAME=VALUE), which catches a child that
 *   double-forked or called setsid and was re-parented to init before it could be seen.
 * A process that both clears its environment and leaves the group and its parent is not found.
 */
export interface ProcessTree {
  pid: number;
  marker: string;
  /**
   * The leader is a sandbox (bwrap) and its child the init of the sandbox's PID namespace: a
   * signal to the leader ends the whole sandbox at once (SIGKILL), so SIGTERM goes only to the
   * command's own processes, which then exit in their grace period and take the sandbox with them.
   */
  wrapped?: boolean;
}

export interface TerminateOptions {
  graceMs?: number;
}

/** What a termination did: how many processes it signalled, and whether any needed SIGKILL. */
export interface TerminateReport {
  signalled: number;
  killed: number;
}

export async function collectTree(tree: ProcessTree): Promise<ProcessEntry[]> {
  const table = await readProcessTable();
  const members = new Map<number, ProcessEntry>();
  const add = (entry: ProcessEntry) => {
    if (entry.pid !== process.pid) members.set(entry.pid, entry);
  };
  for (const entry of table) if (entry.pid === tree.pid || entry.pgid === tree.pid) add(entry);
  for (const root of [tree.pid, ...members.keys()]) for (const entry of descendantsOf(table, root)) add(entry);
  const marked = await Promise.all(table.map(async (entry) => ((await hasEnvironmentEntry(entry.pid, tree.marker)) ? entry : undefined)));
  for (const entry of marked) if (entry) add(entry);
  return [...members.values()].filter((entry) => !isGone(entry));
}

/** Signals the process only if it is still the one seen (same start time): pids are reused. */
async function signalIfSame(entry: ProcessEntry, signal: NodeJS.Signals): Promise<boolean> {
  const now = await readProcess(entry.pid);
  if (isGone(now) || now!.startTime !== entry.startTime) return false;
  return trySignal(entry.pid, signal);
}

function trySignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

async function survivors(entries: readonly ProcessEntry[]): Promise<ProcessEntry[]> {
  const now = await Promise.all(entries.map((entry) => readProcess(entry.pid)));
  return entries.filter((entry, index) => !isGone(now[index]) && now[index]!.startTime === entry.startTime);
}

async function waitForExit(entries: readonly ProcessEntry[], ms: number): Promise<ProcessEntry[]> {
  const deadline = Date.now() + ms;
  let left = await survivors(entries);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(POLL_MS);
    left = await survivors(left);
  }
  return left;
}

function merge(a: readonly ProcessEntry[], b: readonly ProcessEntry[]): ProcessEntry[] {
  const byPid = new Map(a.map((entry) => [entry.pid, entry]));
  for (const entry of b) byPid.set(entry.pid, entry);
  return [...byPid.values()];
}

/**
 * SIGTERM to the group and every member (in a sandbox: to the command's processes only), up to `graceMs` for them to exit, then SIGKILL to the
 * group and to every member still alive or started meanwhile. Safe to call when the command has
 * already exited: it then sweeps up what the command left running.
 */
export async function terminateTree(tree: ProcessTree, options: TerminateOptions = {}): Promise<TerminateReport> {
  const graceMs = options.graceMs ?? KILL_GRACE_MS;
  const members = await collectTree(tree);
  if (members.length === 0) return { signalled: 0, killed: 0 };
  if (!tree.wrapped) trySignal(-tree.pid, 'SIGTERM');
  const gentle = tree.wrapped ? members.filter((entry) => entry.pid !== tree.pid && entry.ppid !== tree.pid) : members;
  await Promise.all(gentle.map((entry) => signalIfSame(entry, 'SIGTERM')));
  const stubborn = merge(await waitForExit(members, graceMs), await collectTree(tree));
  if (stubborn.length === 0) return { signalled: members.length, killed: 0 };
  trySignal(-tree.pid, 'SIGKILL');
  await Promise.all(stubborn.map((entry) => signalIfSame(entry, 'SIGKILL')));
  await waitForExit(stubborn, REAP_WAIT_MS);
  return { signalled: merge(members, stubborn).length, killed: stubborn.length };
}
