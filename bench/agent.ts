// Agent overhead: one job of the demo C project (apply, build, a command boot, a TAP workload)
// through a real agent daemon connected to a real coordinator, against the same commands run
// directly in the same run; the idle agent's RSS beside a bare waiting node process; and the
// agent's peak RSS on a job of a large series. The daemon runs three times: with the environment
// examples/darkroom-agent.service gives it (what labs run), the same with `sandbox: none` (the
// sandbox's own cost), and without the unit's environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { DEMO_SERIES_DIR } from '../maintainer/demo/project.js';
import { startAgentLab, type AgentLab, type JobTimeline } from './agent-lab.js';
import { round } from './measure.js';
import { DEFAULT_SANDBOX } from '../agent/config/resolve.js';
import type { SandboxMode } from '../agent/config/schema.js';
import { readUnitEnvironment } from './unit-environment.js';

const BUILD = 'make';
/** The 'boot': the built test programs must exist and run. */
const BOOT = './test_ringbuf > /dev/null';
const WORKLOAD = 'make check';
const WARMUP_JOBS = 1;
const MEASURED_JOBS = 5;
const GOAL_RATIO = 1.02;
const GOAL_OVERHEAD_S = 1;
const GOAL_IDLE_RSS_MIB = 60;
/**
 * How long a started process is left alone before its memory is sampled: start-up garbage is
 * returned once V8's memory reducer has run, about ten seconds after start-up on this machine.
 */
const SETTLE_MS = 15_000;
const MEMORY_SAMPLES = 10;
const MEMORY_SAMPLE_EVERY_MS = 200;
/** The systemd unit the daemon is started as; this module runs from dist/bench/. */
const UNIT_FILE = fileURLToPath(new URL('../../examples/darkroom-agent.service', import.meta.url));
/** Size of the added patch of the large series: several MiB of diff, as a big backport brings. */
const LARGE_PATCH_MIB = 16;
const LARGE_PATCH_LINE = `+${'0123456789abcdef'.repeat(4)}\n`;
const LARGE_PATCH_BLOCK_LINES = 1024;
const GIT_ENV = { GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@lab.invalid', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@lab.invalid', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };

interface Memory {
  /** Resident set: private pages plus the pages of the node binary and libraries it shares. */
  rssMiB: number;
  /** Pages only this process has written to (its heap, buffers, native allocations). */
  privateMiB: number;
}

/** The process's memory from /proc/PID/smaps_rollup, in MiB. */
async function memoryOf(pid: number): Promise<Memory> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (field: string) => {
    const value = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(rollup)?.[1];
    if (!value) throw new Error(`No ${field} line in /proc/${pid}/smaps_rollup: is process ${pid} still running?`);
    return Number(value) / 1024;
  };
  return { rssMiB: kib('Rss'), privateMiB: kib('Private_Dirty') };
}

/** Waits SETTLE_MS, then samples; the highest of each (the goal is a ceiling). */
async function settledMemory(pid: number): Promise<Memory> {
  await sleep(SETTLE_MS);
  const peak: Memory = { rssMiB: 0, privateMiB: 0 };
  for (let i = 0; i < MEMORY_SAMPLES; i++) {
    const now = await memoryOf(pid);
    peak.rssMiB = Math.max(peak.rssMiB, now.rssMiB);
    peak.privateMiB = Math.max(peak.privateMiB, now.privateMiB);
    await sleep(MEMORY_SAMPLE_EVERY_MS);
  }
  return peak;
}

/** Peak RSS since the last reset (VmHWM of /proc/PID/status), in MiB. */
async function peakRssOf(pid: number): Promise<number> {
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kib) throw new Error(`No VmHWM line in /proc/${pid}/status: is process ${pid} still running?`);
  return Number(kib) / 1024;
}

/** Resets the process's peak RSS to its current RSS (proc(5), clear_refs). */
async function resetPeakRss(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5');
}

/** The demo series plus a third patch that adds a LARGE_PATCH_MIB MiB file, written below `dir`. */
async function writeLargeSeries(dir: string): Promise<string> {
  await mkdir(dir);
  for (const name of await readdir(DEMO_SERIES_DIR)) if (name.endsWith('.patch')) await copyFile(join(DEMO_SERIES_DIR, name), join(dir, name));
  const lines = Math.floor(LARGE_PATCH_MIB * 2 ** 20 / LARGE_PATCH_LINE.length);
  const out = createWriteStream(join(dir, '0003-add-a-large-table.patch'));
  out.write(`From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: Bench <bench@lab.invalid>\nDate: Wed, 22 Jan 2025 12:00:00 +0000\nSubject: [PATCH 3/3] add a large table\n\n---\ndiff --git a/table.txt b/table.txt\nnew file mode 100644\n--- /dev/null\n+++ b/table.txt\n@@ -0,0 +1,${lines} @@\n`);
  const block = LARGE_PATCH_LINE.repeat(LARGE_PATCH_BLOCK_LINES);
  for (let written = 0; written < lines; written += LARGE_PATCH_BLOCK_LINES) {
    const text = written + LARGE_PATCH_BLOCK_LINES <= lines ? block : LARGE_PATCH_LINE.repeat(lines - written);
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end('-- \n2.39.5\n\n');
  await once(out, 'close');
  return dir;
}

/** The baseline for memory: a node process that only waits. */
async function bareNodeMemory(): Promise<Memory> {
  const child: ChildProcess = spawn(process.execPath, ['-e', 'setInterval(() => {}, 2 ** 30)'], { stdio: 'ignore' });
  try {
    return await settledMemory(child.pid!);
  } finally {
    child.kill('SIGKILL');
  }
}

async function shell(command: string, cwd: string): Promise<void> {
  const run = await execa('bash', ['-c', `(${command}) >> direct.log 2>&1`], { cwd, stdin: 'ignore', reject: false });
  if (run.exitCode !== 0) throw new Error(`Direct run of '${command}' failed in ${cwd} (exit ${run.exitCode}): see ${join(cwd, 'direct.log')}`);
}

/** What the agent's job does, by hand: a fresh clone at the base, git am, build, boot, workload. */
async function runDirect(lab: AgentLab, index: number): Promise<number> {
  const dir = join(lab.dir, `direct-${index}`);
  const patches = (await readdir(DEMO_SERIES_DIR)).filter((name) => name.endsWith('.patch')).sort();
  const started = performance.now();
  await execa('git', ['clone', '--quiet', '--shared', '--no-checkout', lab.repo.dir, dir], { env: GIT_ENV });
  await execa('git', ['checkout', '--quiet', '--detach', lab.base], { cwd: dir, env: GIT_ENV });
  for (const patch of patches) await execa('git', ['am', '--quiet', '--3way', '--keep-cr', join(DEMO_SERIES_DIR, patch)], { cwd: dir, env: GIT_ENV });
  await shell(BUILD, dir);
  await shell(BOOT, dir);
  await shell(WORKLOAD, dir);
  const seconds = (performance.now() - started) / 1000;
  await rm(dir, { recursive: true, force: true });
  return seconds;
}

type AgentJob = JobTimeline & { seconds: number };

async function runThroughAgent(lab: AgentLab, series?: string): Promise<AgentJob> {
  const timeline = await lab.runJob(series);
  if (timeline.status !== 'PASS') throw new Error(`Bench job ended ${timeline.status}, not PASS: see ${join(lab.dir, 'agent.log')} and the job's logs`);
  return { ...timeline, seconds: (timeline.finishedAt - timeline.submittedAt) / 1000 };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Memory of one daemon: idle after start, idle after its jobs, peak over the large series' job. */
interface MemoryFigures {
  idle: Memory;
  idleAfterJobs: Memory;
  /** Peak RSS of the daemon over the job of the large series, and that job's time. */
  largePeakRssMiB: number;
  largeJobS: number;
}

/** The labs whose jobs are timed: the shipped daemon, the same with `sandbox: none`, the daemon without the unit's environment. */
interface Labs {
  shipped: AgentLab;
  unsandboxed: AgentLab;
  plain: AgentLab;
}

type LabName = keyof Labs;

interface JobFigures {
  direct: number[];
  agent: Record<LabName, AgentJob[]>;
}

async function startLab(dir: string, env: Record<string, string>, sandbox: SandboxMode = DEFAULT_SANDBOX): Promise<AgentLab> {
  await mkdir(dir);
  return startAgentLab(dir, {
    build: BUILD, boot: { method: 'command', command: BOOT, timeout: '2m' }, workloads: [{ name: 'unit', command: WORKLOAD, format: 'tap', timeout: '2m' }],
    ...(sandbox === 'none' ? { sandbox } : {}),
  }, { env });
}

/**
 * Rounds of one direct run and one job on each lab, after the warm-up, so every figure of a
 * round is taken under the same load; each round starts one place further along, so no lab is
 * always the first after the direct run.
 */
async function measureJobs(labs: Labs): Promise<JobFigures> {
  const names = Object.keys(labs) as LabName[];
  const figures: JobFigures = { direct: [], agent: { shipped: [], unsandboxed: [], plain: [] } };
  for (let round = 0; round < WARMUP_JOBS + MEASURED_JOBS; round++) {
    const order: Array<LabName | 'direct'> = ['direct', ...names];
    const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
    const direct: number[] = [];
    const agent: Partial<Record<LabName, AgentJob>> = {};
    for (const next of rotated) {
      if (next === 'direct') direct.push(await runDirect(labs.shipped, round));
      else agent[next] = await runThroughAgent(labs[next]);
    }
    if (round < WARMUP_JOBS) continue;
    figures.direct.push(...direct);
    for (const name of names) figures.agent[name].push(agent[name]!);
  }
  return figures;
}

/** The peak RSS of the lab's daemon over one job of `series`, and the job's time. */
async function measureLargeJob(lab: AgentLab, series: string): Promise<Pick<MemoryFigures, 'largePeakRssMiB' | 'largeJobS'>> {
  await resetPeakRss(lab.agent.pid!);
  const job = await runThroughAgent(lab, series);
  return { largePeakRssMiB: await peakRssOf(lab.agent.pid!), largeJobS: job.seconds };
}

/**
 * The daemons side by side, so their memory is sampled under the same load and their jobs timed
 * in the same rounds: started one after the other (as a lab starts one), the two sandboxed ones
 * idle, then the rounds of jobs, both idle again, each one's large job.
 */
async function measureDaemons(dir: string, envs: { shipped: Record<string, string>; plain: Record<string, string> }): Promise<{ jobs: JobFigures; shipped: MemoryFigures; plain: MemoryFigures }> {
  const largeSeries = await writeLargeSeries(join(dir, 'large-series'));
  const started: AgentLab[] = [];
  const start = async (name: string, env: Record<string, string>, sandbox?: SandboxMode) => {
    const lab = await startLab(join(dir, name), env, sandbox);
    started.push(lab);
    return lab;
  };
  try {
    const labs: Labs = { shipped: await start('unit', envs.shipped), unsandboxed: await start('unsandboxed', envs.shipped, 'none'), plain: await start('plain', envs.plain) };
    const pids = [labs.shipped.agent.pid!, labs.plain.agent.pid!] as const;
    const idle = await Promise.all(pids.map(settledMemory));
    const jobs = await measureJobs(labs);
    const idleAfterJobs = await Promise.all(pids.map(settledMemory));
    const large = [await measureLargeJob(labs.shipped, largeSeries), await measureLargeJob(labs.plain, largeSeries)];
    const memory = (i: 0 | 1): MemoryFigures => ({ idle: idle[i]!, idleAfterJobs: idleAfterJobs[i]!, ...large[i]! });
    return { jobs, shipped: memory(0), plain: memory(1) };
  } finally {
    for (const lab of started) await lab.close();
  }
}

/** A lab's job time against the direct runs of the same rounds, under names that say which lab. */
function overheadReport(direct: readonly number[], jobs: readonly AgentJob[], suffix: string): Record<string, unknown> {
  const directS = median(direct);
  const agentS = median(jobs.map((job) => job.seconds));
  const ratio = agentS / directS;
  const overhead = agentS - directS;
  const stages = [...new Set(jobs.flatMap((job) => Object.keys(job.stageMs)))];
  return {
    [`agent_job_s${suffix}`]: round(agentS, 3),
    [`baseline_s${suffix}`]: round(directS, 3),
    [`ratio_to_baseline${suffix}`]: round(ratio, 3),
    [`overhead_s${suffix}`]: round(overhead, 3),
    [`goal_met${suffix}`]: ratio <= GOAL_RATIO || overhead <= GOAL_OVERHEAD_S,
    [`submitted_to_apply_started_s${suffix}`]: round(median(jobs.map((job) => job.applyStartedAt - job.submittedAt)) / 1000, 3),
    [`stage_s${suffix}`]: Object.fromEntries(stages.map((stage) => [stage, round(median(jobs.map((job) => job.stageMs[stage] ?? 0)) / 1000, 3)])),
    [`last_stage_to_result_stored_s${suffix}`]: round(median(jobs.map((job) => job.finishedAt - job.lastStageFinishedAt)) / 1000, 3),
  };
}

/** A daemon's memory figures, under names that say which daemon. */
function memoryReport(figures: MemoryFigures, suffix: string): Record<string, unknown> {
  return {
    [`idle_agent_rss_mib${suffix}`]: round(figures.idle.rssMiB, 1),
    [`idle_agent_private_mib${suffix}`]: round(figures.idle.privateMiB, 1),
    [`idle_agent_rss_after_jobs_mib${suffix}`]: round(figures.idleAfterJobs.rssMiB, 1),
    [`idle_agent_private_after_jobs_mib${suffix}`]: round(figures.idleAfterJobs.privateMiB, 1),
    [`large_series_job_s${suffix}`]: round(figures.largeJobS, 3),
    [`large_series_peak_rss_mib${suffix}`]: round(figures.largePeakRssMiB, 1),
  };
}

export async function benchAgent(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-bench-agent-'));
  try {
    const unitEnv = await readUnitEnvironment(UNIT_FILE);
    const bare = await bareNodeMemory();
    const { jobs, shipped, plain } = await measureDaemons(dir, { shipped: unitEnv, plain: {} });
    const sandboxed = median(jobs.agent.shipped.map((job) => job.seconds));
    const unsandboxed = median(jobs.agent.unsandboxed.map((job) => job.seconds));
    return {
      name: 'agent overhead: one job of a small C project through a real agent daemon and coordinator, against the same commands run directly',
      jobs: MEASURED_JOBS,
      unit_file: 'examples/darkroom-agent.service',
      unit_environment: unitEnv,
      baseline: 'the same steps run directly in the same run, outside any sandbox: git clone --shared, checkout, git am of each patch, make, the boot command, make check',
      goal: `≤ ${GOAL_RATIO}× or ≤ ${GOAL_OVERHEAD_S} s overhead`,
      sandbox: `${DEFAULT_SANDBOX} (the agent.yaml default) for the figures without a suffix and those ending _without_unit_env: every command of the agent's jobs runs in it; those ending _sandbox_none are of the same daemon with sandbox: none; the direct baseline runs none`,
      ...overheadReport(jobs.direct, jobs.agent.shipped, ''),
      ...overheadReport(jobs.direct, jobs.agent.unsandboxed, '_sandbox_none'),
      sandbox_cost_s: round(sandboxed - unsandboxed, 3),
      sandbox_ratio: round(sandboxed / unsandboxed, 3),
      ...memoryReport(shipped, ''),
      rss_baseline: 'a bare `node -e` process that only waits, same run, same settling',
      rss_baseline_mib: round(bare.rssMiB, 1),
      private_baseline_mib: round(bare.privateMiB, 1),
      idle_rss_ratio_to_baseline: round(shipped.idle.rssMiB / bare.rssMiB, 2),
      goal_idle_rss_mib: GOAL_IDLE_RSS_MIB,
      idle_rss_goal_met: shipped.idle.rssMiB <= GOAL_IDLE_RSS_MIB,
      ...overheadReport(jobs.direct, jobs.agent.plain, '_without_unit_env'),
      ...memoryReport(plain, '_without_unit_env'),
      large_series_mib: LARGE_PATCH_MIB,
      note: `figures without a suffix are of the daemon started with the unit's Environment= lines, those ending _sandbox_none of the same daemon with sandbox: none, those ending _without_unit_env of the sandboxed daemon without the unit's lines; the three run side by side in this run (started one after the other, memory sampled at the same time); the jobs are timed in rounds of one direct run and one job on each daemon, one after the other, the order rotated each round, and every daemon's figures are against the direct runs of the same rounds; agent time is from the maintainer hearing BUNDLE_SUBMITTED to hearing JOB_FINISHED (offer, fetch, open, clone, apply, build, boot, workload, signed result, outbox, wipe, ingest); stage_s is each stage from the maintainer hearing it start to hearing it finish, last_stage_to_result_stored_s the signed result, outbox, wipe (git reset and gc of the clone, the build directory removed) and ingest; sandbox_cost_s and sandbox_ratio compare the sandboxed daemon's median job with the unsandboxed one's; medians of ${MEASURED_JOBS} rounds after ${WARMUP_JOBS} warm-up; memory is the peak of ${MEMORY_SAMPLES} samples ${SETTLE_MS / 1000} s after the agent connected (and after its last job); private = Private_Dirty of smaps_rollup, the rest of RSS is the node binary and libraries shared with every node process; the large series is the demo series plus a ${LARGE_PATCH_MIB} MiB patch, its peak RSS the VmHWM of the daemon over that one job`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
