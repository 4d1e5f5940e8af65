// Boots the built kernel under QEMU with the workload initramfs, the serial console to a log,
// bounded by a time-out; a panic ends the run early, and the console is read for the verdict.
import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../shared/log.js';
import type { Status } from '../../shared/status.js';
import { runCommand, type RunResult, type RunTracker } from '../process/index.js';
import type { SandboxPolicy } from '../sandbox/index.js';
import { bootVerdict, readGuestConsole, type GuestConsole, type GuestEnding } from './guest-console.js';

/** How long QEMU keeps running after a panic is seen, so the trace reaches the console log. */
export const PANIC_GRACE_MS = 2_000;
/** How often the console log is read while QEMU runs. */
export const CONSOLE_POLL_MS = 250;
/** The most console output read; a guest printing without end is stopped there. */
export const CONSOLE_MAX_BYTES = 16 * 1024 * 1024;
const PANIC = /Kernel panic - not syncing/;
const PANIC_REASON = 'kernel panic seen on the console';
const FLOOD_REASON = 'console output exceeded its limit';

export interface QemuOptions {
  binary: string;
  kernel: string;
  initramfs: string;
  memoryMb: number;
  cpus: number;
  /** The kernel command line; it needs console=ttyS0 (or the serial port of the machine type). */
  append: string;
  extraArgs: readonly string[];
  timeoutMs: number;
  consoleLogPath: string;
  /** QEMU's own stdout and stderr. */
  qemuLogPath: string;
  nonce: string;
  cwd: string;
  signal: AbortSignal;
  logger: Logger;
  tracker?: RunTracker;
  /** QEMU runs the series' kernel: inside the job's sandbox when there is one. */
  sandbox?: SandboxPolicy;
}

export interface QemuBoot {
  status: Status;
  reason: string;
  durationMs: number;
  console: GuestConsole;
  ending: GuestEnding;
}

/** No graphics, no restart (the guest's `reboot -f` ends QEMU), the console to a file. */
export function qemuArgs(options: Omit<QemuOptions, 'signal' | 'logger' | 'timeoutMs' | 'qemuLogPath' | 'nonce' | 'cwd' | 'sandbox'>): string[] {
  return [
    options.binary, '-nographic', '-no-reboot', '-monitor', 'none',
    '-m', String(options.memoryMb), '-smp', String(options.cpus),
    '-kernel', options.kernel, '-initrd', options.initramfs, '-append', options.append,
    '-serial', `file:${options.consoleLogPath}`,
    ...options.extraArgs,
  ];
}

export const shellQuote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/** Watches the growing console log; aborts the run on a panic (after a grace) or a flood. */
function watchConsole(path: string, stop: AbortController, done: AbortSignal): Promise<void> {
  return (async () => {
    let offset = 0;
    let carry = '';
    while (!done.aborted && !stop.signal.aborted) {
      await sleep(CONSOLE_POLL_MS);
      const size = await stat(path).then((s) => s.size, () => 0);
      if (size > CONSOLE_MAX_BYTES) return stop.abort(FLOOD_REASON);
      if (size <= offset) continue;
      const handle = await open(path, 'r');
      const chunk = Buffer.alloc(size - offset);
      await handle.read(chunk, 0, chunk.length, offset).finally(() => handle.close());
      offset = size;
      const text = carry + chunk.toString('utf8');
      if (PANIC.test(text)) {
        await sleep(PANIC_GRACE_MS);
        return stop.abort(PANIC_REASON);
      }
      carry = text.slice(-200);
    }
  })();
}

function infrastructureFault(run: RunResult, consoleEmpty: boolean, stopReason: unknown): string | undefined {
  if (run.spawnError) return `qemu could not start: ${run.spawnError}`;
  if (run.commandNotFound) return `qemu was not found or not executable: install it (Debian: qemu-system-x86) or fix boot.binary`;
  if (run.cancelled && stopReason === undefined) return `cancelled: ${run.cancelReason ?? 'by the agent'}`;
  if (!run.timedOut && !run.cancelled && run.exitCode !== 0 && consoleEmpty) return `qemu exited with status ${run.exitCode} before the guest printed anything; see the qemu log`;
  return undefined;
}

export async function bootQemu(options: QemuOptions): Promise<QemuBoot> {
  const stop = new AbortController();
  const finished = new AbortController();
  const watcher = watchConsole(options.consoleLogPath, stop, finished.signal);
  const command = `exec ${qemuArgs(options).map(shellQuote).join(' ')}`;
  const run = await runCommand(command, {
    cwd: options.cwd, logPath: options.qemuLogPath, timeoutMs: options.timeoutMs, logger: options.logger, tracker: options.tracker,
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    signal: AbortSignal.any([options.signal, stop.signal]),
  });
  finished.abort();
  await watcher;
  const text = await readBounded(options.consoleLogPath);
  const console = readGuestConsole(text, options.nonce);
  const ending: GuestEnding = { timedOut: run.timedOut, timeoutMs: options.timeoutMs, exitCode: run.exitCode };
  const fault = infrastructureFault(run, text.length === 0, stop.signal.aborted ? stop.signal.reason : undefined);
  if (fault) return { status: 'ERROR', reason: fault, durationMs: run.durationMs, console, ending };
  if (stop.signal.reason === FLOOD_REASON && !console.booted) {
    return { status: 'FAIL', reason: 'the guest flooded the console before reaching the workloads', durationMs: run.durationMs, console, ending };
  }
  return { ...bootVerdict(console, ending), durationMs: run.durationMs, console, ending };
}

async function readBounded(path: string): Promise<string> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const size = Math.min((await handle.stat()).size, CONSOLE_MAX_BYTES);
    const buffer = Buffer.alloc(size);
    await handle.read(buffer, 0, size, 0);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
