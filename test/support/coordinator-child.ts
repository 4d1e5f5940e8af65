// `darkroom coordinator serve` as a real child process, for load runs: started on a port (the
// same port again after a kill, so agents find it), killed with SIGKILL, measured from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI } from './agent-process.js';

/** How long the coordinator may take to print its address. */
export const COORDINATOR_START_TIMEOUT_MS = 60_000;

export interface CoordinatorChild {
  child: ChildProcess;
  pid: number;
  url: string;
  port: number;
  /** The /metrics URL when started with `metrics`, else null. */
  metricsUrl: string | null;
  /** Resident memory now, in KiB (VmRSS). */
  rssKiB(): Promise<number>;
  /** The highest resident memory so far, in KiB (VmHWM). */
  peakRssKiB(): Promise<number>;
  /** CPU time used so far (user + system), in ms. */
  cpuMs(): Promise<number>;
  /** SIGKILL, as a crash or the OOM killer; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, a clean stop; resolves once the process is gone. */
  stop(): Promise<void>;
}

async function procStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!match) throw new Error(`/proc/${pid}/status has no ${field} line: is the coordinator still running?`);
  return Number(match[1]);
}

/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

async function procCpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function ended(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts the coordinator on 127.0.0.1:`port` (0 picks one) with its JSON log appended to
 * DATA/../coordinator.log. The shell raises the soft open-file limit to the hard one first.
 * `nodeArgs` go to node itself, e.g. ['--cpu-prof'] to profile the coordinator; `metrics` serves
 * /metrics on a free loopback port.
 */
export async function startCoordinatorChild(dataDir: string, options: { port: number; logLevel?: string; nodeArgs?: string[]; metrics?: boolean }): Promise<CoordinatorChild> {
  const command = `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"`;
  // The log file itself, not a pipe through this process: a busy parent must not slow its writes.
  const log = openSync(join(dataDir, '..', 'coordinator.log'), 'a');
  const child = spawn('sh', ['-c', command, process.execPath, ...(options.nodeArgs ?? []), CLI, 'coordinator', 'serve', '--data', dataDir, '--listen', `127.0.0.1:${options.port}`, ...(options.metrics ? ['--metrics', '127.0.0.1:0'] : [])], {
    stdio: ['ignore', 'pipe', log],
    env: { ...process.env, DARKROOM_LOG_LEVEL: options.logLevel ?? 'info' },
  });
  closeSync(log);
  const started = await new Promise<{ url: string; metricsUrl: string | null }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`Coordinator did not print its address within ${COORDINATOR_START_TIMEOUT_MS} ms: see ${join(dataDir, '..', 'coordinator.log')}`)), COORDINATOR_START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('exit', (code, signal) => fail(new Error(`Coordinator exited (${signal ?? code}) before listening: see ${join(dataDir, '..', 'coordinator.log')}`)));
    child.stdout!.on('data', (data: Buffer) => {
      out += data.toString();
      const match = /listening on (ws:\/\/\S+)/.exec(out);
      const metrics = /Metrics on (http:\/\/\S+)/.exec(out);
      if (!match || (options.metrics && !metrics)) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ url: match[1]!, metricsUrl: metrics?.[1] ?? null });
    });
  });
  child.stdout!.resume();
  const pid = child.pid!;
  return {
    child, pid, url: started.url, metricsUrl: started.metricsUrl, port: Number(new URL(started.url).port),
    rssKiB: () => procStatusKiB(pid, 'VmRSS'),
    peakRssKiB: () => procStatusKiB(pid, 'VmHWM'),
    cpuMs: () => procCpuMs(pid),
    kill: async () => {
      const gone = ended(child);
      child.kill('SIGKILL');
      await gone;
    },
    stop: async () => {
      const gone = ended(child);
      child.kill('SIGTERM');
      await gone;
    },
  };
}
