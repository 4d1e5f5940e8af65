// Reads a guest's serial console: whether it reached the workloads, each workload's output and
// exit status between its markers, and a kernel panic; and the boot verdict that follows.
import type { Status } from '../../shared/status.js';
import { findMarker } from '../initramfs/markers.js';

const PANIC = /Kernel panic - not syncing/;

export interface GuestWorkloadRun {
  name: string;
  /** The console lines between its start and end markers (printk prefixes left in place). */
  output: string;
  /** Its exit status; null when it did not finish. */
  exitCode: number | null;
  completed: boolean;
  /** How long it ran by the guest's clock, when both markers carried the uptime. */
  durationMs?: number;
}

export interface GuestConsole {
  booted: boolean;
  done: boolean;
  panicked: boolean;
  workloads: GuestWorkloadRun[];
}

export function readGuestConsole(text: string, nonce: string): GuestConsole {
  const result: GuestConsole = { booted: false, done: false, panicked: false, workloads: [] };
  let current: { name: string; lines: string[]; uptimeS?: number } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (PANIC.test(line)) result.panicked = true;
    const marker = findMarker(line, nonce);
    if (!marker) {
      current?.lines.push(line);
      continue;
    }
    if (marker.kind === 'booted') result.booted = true;
    else if (marker.kind === 'done') result.done = true;
    else if (marker.kind === 'start') current = { name: marker.name, lines: [], ...(marker.uptimeS === undefined ? {} : { uptimeS: marker.uptimeS }) };
    else if (current && marker.kind === 'end' && marker.name === current.name) {
      const timed = current.uptimeS !== undefined && marker.uptimeS !== undefined ? { durationMs: Math.round((marker.uptimeS - current.uptimeS) * 1000) } : {};
      result.workloads.push({ name: current.name, output: current.lines.join('\n'), exitCode: marker.exitCode, completed: true, ...timed });
      current = undefined;
    }
  }
  if (current) result.workloads.push({ name: current.name, output: current.lines.join('\n'), exitCode: null, completed: false });
  return result;
}

/** How the guest run ended, as the runner saw it. */
export interface GuestEnding {
  timedOut: boolean;
  timeoutMs: number;
  exitCode: number | null;
}

/**
 * The boot stage: PASS once the guest's init reached the workloads (what happens after belongs to
 * each workload's stage). Before that, a panic, a hang or a guest that stopped is the kernel's
 * FAIL. The reasons are content-free; the console log holds the details.
 */
export function bootVerdict(console: GuestConsole, ending: GuestEnding): { status: Status; reason: string } {
  if (console.booted) return { status: 'PASS', reason: '' };
  if (console.panicked) return { status: 'FAIL', reason: 'kernel panic before the workloads started; see the console log' };
  if (ending.timedOut) return { status: 'FAIL', reason: `the guest did not reach the workloads within ${Math.round(ending.timeoutMs / 1000)} s (hang); see the console log` };
  return { status: 'FAIL', reason: `the guest stopped before reaching the workloads (qemu exit ${ending.exitCode}); see the console log` };
}

/** Why an in-guest workload did not finish, for its stage's reason. */
export function unfinishedReason(console: GuestConsole, ending: GuestEnding): string {
  if (console.panicked) return 'the kernel panicked before the workload finished';
  if (ending.timedOut) return 'the guest timed out before the workload finished';
  return 'the guest stopped before the workload finished';
}
