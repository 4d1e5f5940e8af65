// Runs `darkroom agent …` as a real process against a lab coordinator, on the demo project.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprint, type PublicIdentity } from '../../shared/identity.js';
import { REPO_ROOT } from './paths.js';

export const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');

export interface AgentSetup {
  dir: string;
  config: string;
  stateDir: string;
}

export interface AgentWorkload {
  name: string;
  command: string;
  format: 'exit-code' | 'tap' | 'ktap' | 'ltp' | 'junit';
  timeout: string;
}

export interface AgentConfigOptions {
  url: string;
  fingerprint: string;
  /** The maintainers whose bundles the agent runs (`trusted_maintainers`): their identities or fingerprints. */
  trust: ReadonlyArray<PublicIdentity | string>;
  name: string;
  tree: string;
  hardwareClass?: string;
  failingUnit?: boolean;
  build?: string;
  /** The boot mapping's keys and values (default `method: none`). */
  boot?: Record<string, string>;
  /** Default: the demo project's `unit` (TAP) and `stress` (KTAP) workloads. */
  workloads?: AgentWorkload[];
  /** The state directory; `<dir>/state` when absent. */
  stateDir?: string;
  /** A memory-backed mount for job workspaces (`workspace.tmpfs`); below the state directory when absent. */
  workspaceTmpfs?: string;
  /** `none` runs jobs without the sandbox (`sandbox: none`); the default sandbox when absent. */
  sandbox?: 'none';
}

const yamlMapping = (entries: Record<string, string>, indent: string) => Object.entries(entries).map(([key, value]) => `${indent}${key}: ${JSON.stringify(value)}\n`).join('');

export async function writeAgentConfig(dir: string, o: AgentConfigOptions): Promise<AgentSetup> {
  const unit = o.failingUnit ? 'RINGBUF_PAGE_SIZE=65536 make check' : 'make check';
  const workloads = o.workloads ?? [{ name: 'unit', command: unit, format: 'tap', timeout: '2m' }, { name: 'stress', command: 'make ktap', format: 'ktap', timeout: '2m' }];
  const config = join(dir, 'agent.yaml');
  const stateDir = o.stateDir ?? join(dir, 'state');
  const pins = o.trust.map((m) => (typeof m === 'string' ? m : fingerprint(m)));
  await writeFile(config, `coordinator:
  url: ${o.url}
  fingerprint: ${o.fingerprint}
trusted_maintainers: [${pins.join(', ')}]
state_dir: ${JSON.stringify(stateDir)}
${o.workspaceTmpfs ? `workspace:\n  tmpfs: ${JSON.stringify(o.workspaceTmpfs)}\n` : ''}name: ${o.name}
${o.sandbox === 'none' ? 'sandbox: none\n' : ''}hardware_class: ${JSON.stringify(o.hardwareClass ?? 'auto')}
trees:
  ringbuf: ${JSON.stringify(o.tree)}
build:
  command: ${JSON.stringify(o.build ?? 'make')}
  timeout: 2m
boot:
${yamlMapping(o.boot ?? { method: 'none' }, '  ')}workloads:
${workloads.map(({ name, ...rest }) => `  - name: ${JSON.stringify(name)}\n${yamlMapping(rest, '    ')}`).join('')}`);
  return { dir, config, stateDir };
}

/** Runs a CLI command to the end; resolves with its exit code and output. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Starts `darkroom agent run`; its JSON log (debug level unless `logLevel`) goes to `<dir>/agent.log`. `env` adds to the environment. */
export function startAgent(setup: AgentSetup, options: { logLevel?: string; env?: Record<string, string> } = {}): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'agent', 'run', '--config', setup.config], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DARKROOM_LOG_LEVEL: options.logLevel ?? 'debug', ...options.env } });
  child.stderr!.pipe(createWriteStream(join(setup.dir, 'agent.log'), { flags: 'a' }));
  return child;
}

/** The JSON lines the agent has logged so far. */
export async function agentLog(setup: AgentSetup): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(join(setup.dir, 'agent.log'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Kills the process with SIGKILL, as a power cut or the OOM killer would, and waits until it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await gone;
}

export interface RunningProcess {
  pid: number;
  cwd: string;
  argv: string[];
}

/** Every live process whose argv mentions `dir` or whose working directory lies below it. */
export async function processesUnder(dir: string): Promise<RunningProcess[]> {
  const found: RunningProcess[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const argv = await readFile(`/proc/${name}/cmdline`, 'utf8').then((raw) => raw.split('\0').filter(Boolean), () => null);
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (argv === null || argv.length === 0) continue;
    if (cwd === dir || cwd.startsWith(`${dir}/`) || argv.some((arg) => arg.includes(dir))) found.push({ pid: Number(name), cwd, argv });
  }
  return found;
}
