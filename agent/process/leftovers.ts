// Ends what is left of a command's process tree after the agent that ran it died (kill -9, OOM):
// found again from what was recorded, never trusting a pid alone, since pids are reused.
import { setTimeout as sleep } from 'node:timers/promises';
import { descendantsOf, hasEnvironmentEntry, isGone, readProcess, readProcessTable, type ProcessEntry } from './proc-table.js';

/** How many times the tree is looked for again after SIGKILL, for children forked meanwhile. */
export const LEFTOVER_KILL_ROUNDS = 5;
/** How long each round waits for the kernel to tear the killed processes down. */
const ROUND_WAIT_MS = 1_000;
const POLL_MS = 50;

/**
 * What an agent recorded of a command it ran (run-command.ts's RunTracker): the marker first, the
 * group leader's pid and start time once it had started. A crash between the two leaves the marker.
 */
export interface RecordedTree {
  /** NAME=VALUE in the environment of every process of the run. */
  marker: string;
  pid?: number;
  /** The leader's start time (clock ticks since boot, /proc/PID/stat field 22). */
  startTime?: number;
}

/**
 * The live members of a recorded tree:
 * - every process whose environment holds the marker (unique per run: no other process has it);
 * - the leader, only while it is still the recorded process (same pid and start time);
 * - the leader's process group, only when the leader is still that process or a member of the
 *   group carries the marker (a reused pid leads a group of strangers);
 * - the descendants of all of those by parent links.
 */
export async function findLeftovers(tree: RecordedTree): Promise<ProcessEntry[]> {
  const table = (await readProcessTable()).filter((entry) => entry.pid !== process.pid && !isGone(entry));
  const marked = (await Promise.all(table.map(async (entry) => ((await hasEnvironmentEntry(entry.pid, tree.marker)) ? entry : undefined))))
    .filter((entry): entry is ProcessEntry => entry !== undefined);
  const members = new Map(marked.map((entry) => [entry.pid, entry]));
  if (tree.pid !== undefined) {
    const leaderIsOurs = table.some((entry) => entry.pid === tree.pid && entry.startTime === tree.startTime);
    const groupIsOurs = leaderIsOurs || marked.some((entry) => entry.pgid === tree.pid);
    for (const entry of table) {
      if (entry.pid === tree.pid ? leaderIsOurs : groupIsOurs && entry.pgid === tree.pid) members.set(entry.pid, entry);
    }
  }
  for (const root of [...members.values()]) for (const entry of descendantsOf(table, root.pid)) members.set(entry.pid, entry);
  return [...members.values()];
}

/** SIGKILL, only if the pid still names the process that was found (same start time). */
async function killIfSame(entry: ProcessEntry): Promise<void> {
  const now = await readProcess(entry.pid);
  if (isGone(now) || now!.startTime !== entry.startTime) return;
  try {
    process.kill(entry.pid, 'SIGKILL');
  } catch {
    // It exited between the check and the signal.
  }
}

async function waitGone(entries: readonly ProcessEntry[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = await Promise.all(entries.map((entry) => readProcess(entry.pid)));
    const alive = entries.filter((entry, index) => !isGone(now[index]) && now[index]!.startTime === entry.startTime);
    if (alive.length === 0 || Date.now() >= deadline) return;
    await sleep(POLL_MS);
  }
}

/**
 * SIGKILLs every leftover member of the tree (no grace: the job they belonged to is over), then
 * looks again for any forked meanwhile, up to LEFTOVER_KILL_ROUNDS times. Resolves with how many
 * processes were killed, and how many were still found after the last round.
 */
export async function killLeftovers(tree: RecordedTree): Promise<{ killed: number; remaining: number }> {
  const killed = new Set<string>();
  for (let round = 0; round < LEFTOVER_KILL_ROUNDS; round++) {
    const members = await findLeftovers(tree);
    if (members.length === 0) return { killed: killed.size, remaining: 0 };
    await Promise.all(members.map(killIfSame));
    for (const entry of members) killed.add(`${entry.pid}@${entry.startTime}`);
    await waitGone(members, ROUND_WAIT_MS);
  }
  return { killed: killed.size, remaining: (await findLeftovers(tree)).length };
}
