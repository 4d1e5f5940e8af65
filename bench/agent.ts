// Agent overhead: one job of the demo C project (apply, build, a command boot, a TAP workload)
// through a real agent daemon connected to a real coordinator, against the same commands run
// directly in the same run; the idle agent's RSS beside a bare waiting node process; and the
// agent's peak RSS on a job of a large series. The daemon runs twice: with the environment
// examples/darkroom-agent.service gives it (what labs run), and without.
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

async function runThroughAgent(lab: AgentLab, series?: string): Promise<JobTimeline & { seconds: number }> {
  const timeline = await lab.runJob(series);
  if (timeline.status !== 'PASS') throw new Error(`Bench job ended ${timeline.status}, not PASS: see ${join(lab.dir, 'agent.log')} and the job's logs`);
  return { ...timeline, seconds: (timeline.finishedAt - timeline.submittedAt) / 1000 };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface DaemonFigures {
  idle: Memory;
  idleAfterJobs: Memory;
  direct: number[];
  agent: Array<JobTimeline & { seconds: number }>;
  /** Peak RSS of the daemon over the job of the large series, and that job's time. */
  largePeakRssMiB: number;
  largeJobS: number;
}

async function startLab(dir: string, env: Record<string, string>): Promise<AgentLab> {
  await mkdir(dir);
  return startAgentLab(dir, { build: BUILD, boot: { method: 'command', command: BOOT, timeout: '2m' }, workloads: [{ name: 'unit', command: WORKLOAD, format: 'tap', timeout: '2m' }] }, { env });
}

/** Alternating direct and agent jobs on one lab, after the warm-up. */
async function measureJobs(lab: AgentLab): Promise<Pick<DaemonFigures, 'direct' | 'agent'>> {
  const direct: number[] = [];
  const agent: Array<JobTimeline & { seconds: number }> = [];
  for (let i = 0; i < WARMUP_JOBS + MEASURED_JOBS; i++) {
    const directSeconds = await runDirect(lab, i);
    const through = await runThroughAgent(lab);
    if (i < WARMUP_JOBS) continue;
    direct.push(directSeconds);
    agent.push(through);
  }
  return { direct, agent };
}

/** The peak RSS of the lab's daemon over one job of `series`, and the job's time. */
async function measureLargeJob(lab: AgentLab, series: string): Promise<Pick<DaemonFigures, 'largePeakRssMiB' | 'largeJobS'>> {
  await resetPeakRss(lab.agent.pid!);
  const job = await runThroughAgent(lab, series);
  return { largePeakRssMiB: await peakRssOf(lab.agent.pid!), largeJobS: job.seconds };
}

/**
 * Both daemons side by side, so their memory is sampled under the same load: started one after
 * the other (as a lab starts one), both idle, then each one's jobs while the other waits, both
 * idle again, each one's large job.
 */
async function measureDaemons(dir: string, envs: { shipped: Record<string, string>; plain: Record<string, string> }): Promise<{ shipped: DaemonFigures; plain: DaemonFigures }> {
  const largeSeries = await writeLargeSeries(join(dir, 'large-series'));
  const labs: AgentLab[] = [];
  try {
    const shipped = await startLab(join(dir, 'unit'), envs.shipped);
    labs.push(shipped);
    const plain = await startLab(join(dir, 'plain'), envs.plain);
    labs.push(plain);
    const idle = await Promise.all([settledMemory(shipped.agent.pid!), settledMemory(plain.agent.pid!)]);
    const jobs = [await measureJobs(shipped), await measureJobs(plain)];
    const idleAfterJobs = await Promise.all([settledMemory(shipped.agent.pid!), settledMemory(plain.agent.pid!)]);
    const large = [await measureLargeJob(shipped, largeSeries), await measureLargeJob(plain, largeSeries)];
    const figures = (i: 0 | 1): DaemonFigures => ({ idle: idle[i], idleAfterJobs: idleAfterJobs[i], ...jobs[i]!, ...large[i]! });
    return { shipped: figures(0), plain: figures(1) };
  } finally {
    for (const lab of labs) await lab.close();
  }
}

/** The figures of one daemon run, under names that say which run. */
function daemonReport(figures: DaemonFigures, suffix: string): Record<string, unknown> {
  const directS = median(figures.direct);
  const agentS = median(figures.agent.map((job) => job.seconds));
  const ratio = agentS / directS;
  const overhead = agentS - directS;
  return {
    [`agent_job_s${suffix}`]: round(agentS, 3),
    [`baseline_s${suffix}`]: round(directS, 3),
    [`ratio_to_baseline${suffix}`]: round(ratio, 3),
    [`overhead_s${suffix}`]: round(overhead, 3),
    [`goal_met${suffix}`]: ratio <= GOAL_RATIO || overhead <= GOAL_OVERHEAD_S,
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
    const { shipped, plain } = await measureDaemons(dir, { shipped: unitEnv, plain: {} });
    return {
      name: 'agent overhead: one job of a small C project through a real agent daemon and coordinator, against the same commands run directly',
      jobs: MEASURED_JOBS,
      unit_file: 'examples/darkroom-agent.service',
      unit_environment: unitEnv,
      baseline: 'the same steps run directly in the same run: git clone --shared, checkout, git am of each patch, make, the boot command, make check',
      goal: `≤ ${GOAL_RATIO}× or ≤ ${GOAL_OVERHEAD_S} s overhead`,
      sandbox: `${DEFAULT_SANDBOX} (the agent.yaml default): every command of the agent's jobs runs in it, the direct baseline runs none`,
      ...daemonReport(shipped, ''),
      submitted_to_apply_started_s: round(median(shipped.agent.map((job) => job.applyStartedAt - job.submittedAt)) / 1000, 3),
      last_stage_to_result_stored_s: round(median(shipped.agent.map((job) => job.finishedAt - job.lastStageFinishedAt)) / 1000, 3),
      rss_baseline: 'a bare `node -e` process that only waits, same run, same settling',
      rss_baseline_mib: round(bare.rssMiB, 1),
      private_baseline_mib: round(bare.privateMiB, 1),
      idle_rss_ratio_to_baseline: round(shipped.idle.rssMiB / bare.rssMiB, 2),
      goal_idle_rss_mib: GOAL_IDLE_RSS_MIB,
      idle_rss_goal_met: shipped.idle.rssMiB <= GOAL_IDLE_RSS_MIB,
      ...daemonReport(plain, '_without_unit_env'),
      large_series_mib: LARGE_PATCH_MIB,
      note: `figures without a suffix are of the daemon started with the unit's Environment= lines, those ending _without_unit_env of the same daemon without them, both running side by side in this run (started one after the other, memory sampled at the same time, jobs one daemon after the other); agent time is from the maintainer hearing BUNDLE_SUBMITTED to hearing JOB_FINISHED (offer, fetch, open, clone, apply, build, boot, workload, signed result, outbox, wipe, ingest); medians of ${MEASURED_JOBS} alternating pairs after ${WARMUP_JOBS} warm-up; memory is the peak of ${MEMORY_SAMPLES} samples ${SETTLE_MS / 1000} s after the agent connected (and after its last job); private = Private_Dirty of smaps_rollup, the rest of RSS is the node binary and libraries shared with every node process; the large series is the demo series plus a ${LARGE_PATCH_MIB} MiB patch, its peak RSS the VmHWM of the daemon over that one job`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
