// Runs one stage's shell command with a time-out and cancellation, and kills its whole tree.
import { randomUUID } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { messageOf } from '../../shared/errors.js';
import { silentLogger, type Logger } from '../../shared/log.js';
import { BWRAP, STATUS_FD, bwrapArgs, commandRan, type SandboxPolicy } from '../sandbox/index.js';
import { LogCapture } from './log-capture.js';
import { terminateTree } from './kill-tree.js';
import type { RecordedTree } from './leftovers.js';
import { readProcess } from './proc-table.js';

/** Set in every command's environment (a fresh value per run) to find its processes later. */
export const RUN_MARKER_ENV = 'DARKROOM_RUN_ID';
/** How long to wait for output after the tree is gone before the log is closed regardless. */
export const OUTPUT_DRAIN_MS = 2_000;
/** Exit statuses with which bash says it could not run a command: not found, not executable. */
const SHELL_NOT_FOUND = 127;
const SHELL_NOT_EXECUTABLE = 126;

/**
 * Told of each command's process tree, so that it can be recorded durably and ended by a later
 * agent process if this one dies (leftovers.ts). `starting` runs before the spawn and may throw
 * (then nothing is started); a failure of the others is logged and the run goes on.
 */
export interface RunTracker {
  starting(tree: RecordedTree): Promise<void>;
  started(tree: Required<RecordedTree>): Promise<void>;
  /** The command has exited and whatever it left running has been ended. */
  ended(tree: RecordedTree): Promise<void>;
}

export interface RunOptions {
  /** Working directory; it must exist. */
  cwd: string;
  /** Where stdout and stderr go, interleaved (created 0600, kept to LOG_KEEP_BYTES). */
  logPath: string;
  /** Milliseconds before the tree is terminated; absent or 0: no limit. */
  timeoutMs?: number;
  /** Aborting it terminates the tree; its reason is reported. */
  signal?: AbortSignal;
  /** Added to the agent's own environment (inside a sandbox: to the policy's environment). */
  env?: Record<string, string>;
  /**
   * Runs the command inside bubblewrap with this policy: it then sees only what the policy lets
   * it see, and none of the agent's environment but the policy's. Absent: as the agent itself.
   */
  sandbox?: SandboxPolicy;
  /** SIGTERM-to-SIGKILL grace period (default KILL_GRACE_MS). */
  graceMs?: number;
  keepBytes?: number;
  tailBytes?: number;
  logger?: Logger;
  tracker?: RunTracker;
}

export interface RunResult {
  /** The shell's exit status; null when it was ended by a signal or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  cancelReason?: string;
  /**
   * Bash could not run a command (exit 127: not found, 126: not executable): a missing tool, an
   * infrastructure fault the caller reports as ERROR rather than a FAIL of the code under test.
   */
  commandNotFound: boolean;
  /** Set when the command could not be started at all (bad cwd, no bash, a sandbox that could not be set up): also an ERROR. */
  spawnError?: string;
  durationMs: number;
  outputTail: string;
  outputBytes: number;
  /** Older output was dropped from the log file to keep it within its limit. */
  truncated: boolean;
  logPath: string;
  pid?: number;
}

type Ending = { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null } | { kind: 'abort'; timedOut: boolean };

function reasonText(reason: unknown): string {
  return reason instanceof Error && reason.name === 'AbortError' && reason.message === 'This operation was aborted' ? 'cancelled' : messageOf(reason);
}

/**
 * Runs `bash -c command` in its own process group with stdin closed, output to a bounded log,
 * inside the sandbox its options name (a sandbox that cannot be set up is a spawnError).
 * On time-out or abort the whole tree gets SIGTERM, then SIGKILL after the grace period. When
 * the command exits on its own, anything it left running in the background is ended the same way.
 * Never throws for the command's sake: every ending is described in the result.
 */
export async function runCommand(command: string, options: RunOptions): Promise<RunResult> {
  const logger = options.logger ?? silentLogger;
  const started = performance.now();
  const capture = await LogCapture.open(options.logPath, { keepBytes: options.keepBytes, tailBytes: options.tailBytes });
  const result = (fields: Partial<RunResult>): RunResult => ({
    exitCode: null, signal: null, timedOut: false, cancelled: false, commandNotFound: false,
    durationMs: Math.round(performance.now() - started), outputTail: capture.tail(), outputBytes: capture.totalBytes,
    truncated: capture.truncated, logPath: options.logPath, ...fields,
  });
  if (options.signal?.aborted) {
    capture.end();
    await finished(capture);
    return result({ cancelled: true, cancelReason: reasonText(options.signal.reason) });
  }

  const marker = randomUUID();
  const recorded: RecordedTree = { marker: `${RUN_MARKER_ENV}=${marker}` };
  const tracker = options.tracker;
  try {
    await tracker?.starting(recorded);
  } catch (error) {
    capture.end();
    await finished(capture);
    throw error;
  }
  const subprocess = spawnCommand(command, options, marker);
  const status = collectStatus(subprocess);
  const pid = subprocess.pid;
  if (pid === undefined) {
    const failure = await subprocess;
    capture.end();
    await finished(capture);
    return result({ spawnError: failure.shortMessage ?? failure.message });
  }
  subprocess.all!.pipe(capture);
  const tree = { pid, marker: recorded.marker, wrapped: options.sandbox !== undefined };
  const graceMs = options.graceMs;

  const exited = new Promise<Ending>((resolve) => subprocess.once('exit', (code, signal) => resolve({ kind: 'exit', code, signal })));
  const track = (step: 'started' | 'ended', call: () => Promise<void> | undefined) =>
    call()?.catch((error: unknown) => logger.warn({ pid, err: messageOf(error) }, `Could not record that the command ${step}; a later agent may not find its processes`));
  const leader = tracker ? await readProcess(pid) : undefined;
  await track('started', () => (leader ? tracker?.started({ ...tree, startTime: leader.startTime }) : undefined));
  const timeout = options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined;
  const stops = [timeout, options.signal].filter((signal): signal is AbortSignal => signal !== undefined);
  const stop = stops.length > 0 ? AbortSignal.any(stops) : undefined;
  const aborted = new Promise<Ending>((resolve) => stop?.addEventListener('abort', () => resolve({ kind: 'abort', timedOut: timeout?.aborted === true }), { once: true }));

  const first = await Promise.race([exited, aborted]);
  let timedOut = false;
  let cancelReason: string | undefined;
  if (first.kind === 'abort') {
    timedOut = first.timedOut;
    if (!timedOut) cancelReason = reasonText(options.signal?.reason);
    logger.info({ pid, timedOut, cancelReason }, timedOut ? 'Command timed out: ending its process tree' : 'Command cancelled: ending its process tree');
    await terminateTree(tree, { graceMs });
  }
  const ending = (await exited) as Extract<Ending, { kind: 'exit' }>;
  const sweep = first.kind === 'exit' && endedWithNamespace(tree, ending) ? { signalled: 0, killed: 0 } : await terminateTree(tree, { graceMs });
  if (sweep.signalled > 0) logger.info({ pid, ...sweep }, 'Command left processes running: ended them');
  await track('ended', () => tracker?.ended(recorded));
  await drain(subprocess, capture);

  const exitCode = ending.code;
  const cancelled = cancelReason !== undefined;
  if (options.sandbox && !timedOut && !cancelled && !commandRan(status())) {
    logger.error({ pid, exitCode }, 'The sandbox could not be set up: the command did not run');
    return result({ exitCode, signal: ending.signal, spawnError: `the sandbox could not be set up (${BWRAP} exit ${exitCode}; see the log)`, pid });
  }
  const commandNotFound = !timedOut && !cancelled && (exitCode === SHELL_NOT_FOUND || exitCode === SHELL_NOT_EXECUTABLE);
  return result({ exitCode, signal: ending.signal, timedOut, cancelled, cancelReason, commandNotFound, pid });
}

/**
 * Whether nothing of the command can be left running, so the sweep of the process table after it
 * exited has nothing to find: bwrap exits with a status only once the init of the sandbox's PID
 * namespace has exited, and the kernel ends every other process of a namespace before its init's
 * exit is reported. A bwrap killed by a signal gives no such promise: it is swept as without one.
 */
function endedWithNamespace(tree: { wrapped: boolean }, ending: Extract<Ending, { kind: 'exit' }>): boolean {
  return tree.wrapped && ending.code !== null;
}

type Subprocess = ReturnType<typeof spawnCommand>;

/**
 * `bash -c command`, in its own process group, stdin closed; inside bubblewrap when the options
 * carry a policy (its status on a fourth pipe), with the policy's environment and nothing else.
 */
function spawnCommand(command: string, options: RunOptions, marker: string) {
  const sandbox = options.sandbox;
  const env = { ...sandbox?.env, ...options.env, [RUN_MARKER_ENV]: marker };
  const [file, args] = sandbox ? [BWRAP, [...bwrapArgs(sandbox, { cwd: options.cwd, statusFd: STATUS_FD }), 'bash', '-c', command]] : ['bash', ['-c', command]];
  return execa(file, args, {
    cwd: options.cwd, env, extendEnv: !sandbox, detached: true, stdio: ['ignore', 'pipe', 'pipe', sandbox ? 'pipe' : 'ignore'],
    all: true, buffer: false, encoding: 'buffer', reject: false,
  });
}

/** What bwrap writes to its status pipe, as it arrives (nothing without a sandbox). */
function collectStatus(subprocess: Subprocess): () => string {
  let text = '';
  const pipe = subprocess.stdio[STATUS_FD];
  pipe?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return () => text;
}

/** Waits for the output pipe to close; a process that escaped the kill may hold it, so bounded. */
async function drain(subprocess: Subprocess, capture: LogCapture): Promise<void> {
  const done = finished(capture).then(() => true, () => true);
  if (!(await Promise.race([done, sleep(OUTPUT_DRAIN_MS).then(() => false)]))) {
    subprocess.all!.unpipe(capture);
    subprocess.all!.destroy();
    capture.end();
    await done;
  }
  await subprocess;
}
