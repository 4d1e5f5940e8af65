// A snapshot of Linux's process table from /proc: parentage, groups, and the run marker in environ.
import { readFile, readdir } from 'node:fs/promises';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  /** Clock ticks since boot at which the process started: with the pid, names it uniquely. */
  startTime: number;
}

/**
 * Parses one /proc/PID/stat line. The command name sits in parentheses and may itself contain
 * spaces and parentheses, so the fields are counted from the last ')'.
 */
export function parseStat(line: string): ProcessEntry | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(line.slice(0, open).trim());
  const fields = line.slice(close + 2).split(' ');
  // After the name: state(3) ppid(4) pgrp(5) session(6) … starttime(22), numbered as in proc(5).
  const [state, ppid, pgid, startTime] = [fields[0], Number(fields[1]), Number(fields[2]), Number(fields[19])];
  if (!state || !Number.isInteger(pid) || !Number.isInteger(ppid) || !Number.isInteger(pgid) || !Number.isFinite(startTime)) return undefined;
  return { pid, ppid, pgid, state, startTime };
}

/** One process's entry, or undefined when it has gone. */
export async function readProcess(pid: number): Promise<ProcessEntry | undefined> {
  const line = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return line === undefined ? undefined : parseStat(line);
}

/** Every process visible in /proc; processes that exit while it is read are left out. */
export async function readProcessTable(): Promise<ProcessEntry[]> {
  const names = await readdir('/proc');
  const entries = await Promise.all(names.filter((name) => /^\d+$/.test(name)).map((name) => readProcess(Number(name))));
  return entries.filter((entry): entry is ProcessEntry => entry !== undefined);
}

/** The processes below `rootPid` by parent links, breadth first. */
export function descendantsOf(table: readonly ProcessEntry[], rootPid: number): ProcessEntry[] {
  const children = new Map<number, ProcessEntry[]>();
  for (const entry of table) {
    const siblings = children.get(entry.ppid);
    if (siblings) siblings.push(entry);
    else children.set(entry.ppid, [entry]);
  }
  const found: ProcessEntry[] = [];
  const queue = [rootPid];
  const seen = new Set(queue);
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/**
 * Whether the process's environment holds `NAME=VALUE` exactly. Environments are inherited, so a
 * marker set on a command is carried by every process it starts, even one that called setsid and
 * was re-parented to init. Unreadable environments (another user's processes) do not match.
 */
export async function hasEnvironmentEntry(pid: number, entry: string): Promise<boolean> {
  const environ = await readFile(`/proc/${pid}/environ`).catch(() => undefined);
  if (!environ) return false;
  const needle = Buffer.from(`${entry}\0`);
  for (let at = environ.indexOf(needle); at >= 0; at = environ.indexOf(needle, at + 1)) {
    if (at === 0 || environ[at - 1] === 0) return true;
  }
  return false;
}

/** A process that has exited but not been reaped is as good as gone: it runs nothing. */
export function isGone(entry: ProcessEntry | undefined): boolean {
  return entry === undefined || entry.state === 'Z' || entry.state === 'X';
}
