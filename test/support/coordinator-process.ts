// `darkroom coordinator serve` as a real process on loopback, for fault tests that kill it with
// SIGKILL and start it again on the same data directory and port.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { initCoordinator } from '../../coordinator/admin/init.js';
import { CLI, killHard } from './agent-process.js';
import { tempDir } from './bundle-fixture.js';
import { adminOf, type LabAddress } from './coordinator-lab.js';

/** How long a coordinator process may take to print its address (a loaded 2-core machine). */
const START_TIMEOUT_MS = 60_000;
export const COORDINATOR_LOG = 'coordinator.log';

export interface CoordinatorProcess extends LabAddress {
  coordinator: { url: string; fingerprint: string; port: number };
  /** The running process; replaced by `restart`. */
  child: ChildProcess;
  /** SIGKILL: no close, no cleanup, as a power cut or the OOM killer would. */
  kill(): Promise<void>;
  /** Starts a new process on the same data directory and port. */
  restart(): Promise<void>;
  /** Every JSON line the coordinator processes logged so far. */
  logLines(): Promise<Array<Record<string, unknown>>>;
}

/** Spawns `coordinator serve` and resolves with its URL once it says it listens. */
function serve(dataDir: string, listen: string, logPath: string, serveArgs: readonly string[]): Promise<{ child: ChildProcess; url: string; port: number }> {
  const child = spawn(process.execPath, [CLI, 'coordinator', 'serve', '--data', dataDir, '--listen', listen, ...serveArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.pipe(createWriteStream(logPath, { flags: 'a' }));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`Coordinator did not print its address within ${START_TIMEOUT_MS} ms: ${stdout}`)), START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('exit', (code, signal) => fail(new Error(`Coordinator exited before listening (${code ?? signal}); see ${logPath}`)));
    child.stdout!.on('data', (data: Buffer) => {
      stdout += data.toString();
      const match = /listening on (ws:\/\/127\.0\.0\.1:(\d+))/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ child, url: match[1]!, port: Number(match[2]) });
    });
  });
}

/** A fresh coordinator data directory and a `coordinator serve` process on an ephemeral port. */
export async function startCoordinatorProcess(t: TestContext, options: { serveArgs?: string[] } = {}): Promise<CoordinatorProcess> {
  const serveArgs = options.serveArgs ?? [];
  const dir = await tempDir(t, 'dr-coord-');
  const dataDir = join(dir, 'coordinator');
  const { fingerprint } = await initCoordinator(dataDir);
  const logPath = join(dir, COORDINATOR_LOG);
  const first = await serve(dataDir, '127.0.0.1:0', logPath, serveArgs);
  const lab: CoordinatorProcess = {
    dataDir,
    coordinator: { url: first.url, fingerprint, port: first.port },
    child: first.child,
    admin: adminOf(dataDir),
    kill: () => killHard(lab.child),
    restart: async () => {
      await killHard(lab.child);
      lab.child = (await serve(dataDir, `127.0.0.1:${lab.coordinator.port}`, logPath, serveArgs)).child;
    },
    logLines: async () => (await readFile(logPath, 'utf8')).split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
  t.after(() => killHard(lab.child));
  return lab;
}
