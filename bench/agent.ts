// Agent overhead: one job of the demo C project (apply, build, a command boot, a TAP workload)
// through a real agent daemon connected to a real coordinator, against the same commands run
// directly in the same run; and the idle agent's RSS beside a bare waiting node process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { DEMO_SERIES_DIR } from '../maintainer/demo/project.js';
import { startAgentLab, type AgentLab, type JobTimeline } from './agent-lab.js';
import { round } from './measure.js';

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

async function runThroughAgent(lab: AgentLab): Promise<JobTimeline & { seconds: number }> {
  const timeline = await lab.runJob();
  if (timeline.status !== 'PASS') throw new Error(`Bench job ended ${timeline.status}, not PASS: see ${join(lab.dir, 'agent.log')} and the job's logs`);
  return { ...timeline, seconds: (timeline.finishedAt - timeline.submittedAt) / 1000 };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export async function benchAgent(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-bench-agent-'));
  try {
    const [bare, lab] = await Promise.all([
      bareNodeMemory(),
      startAgentLab(dir, { build: BUILD, boot: { method: 'command', command: BOOT, timeout: '2m' }, workloads: [{ name: 'unit', command: WORKLOAD, format: 'tap', timeout: '2m' }] }),
    ]);
    try {
      const idle = await settledMemory(lab.agent.pid!);
      const direct: number[] = [];
      const agent: Array<JobTimeline & { seconds: number }> = [];
      for (let i = 0; i < WARMUP_JOBS + MEASURED_JOBS; i++) {
        const directSeconds = await runDirect(lab, i);
        const through = await runThroughAgent(lab);
        if (i < WARMUP_JOBS) continue;
        direct.push(directSeconds);
        agent.push(through);
      }
      const idleAfterJobs = await settledMemory(lab.agent.pid!);
      const directS = median(direct);
      const agentS = median(agent.map((job) => job.seconds));
      const ratio = agentS / directS;
      const overhead = agentS - directS;
      return {
        name: 'agent overhead: one job of a small C project through a real agent daemon and coordinator, against the same commands run directly',
        jobs: MEASURED_JOBS,
        agent_job_s: round(agentS, 3),
        baseline: 'the same steps run directly in the same run: git clone --shared, checkout, git am of each patch, make, the boot command, make check',
        baseline_s: round(directS, 3),
        ratio_to_baseline: round(ratio, 3),
        overhead_s: round(overhead, 3),
        goal: `≤ ${GOAL_RATIO}× or ≤ ${GOAL_OVERHEAD_S} s overhead`,
        goal_met: ratio <= GOAL_RATIO || overhead <= GOAL_OVERHEAD_S,
        submitted_to_apply_started_s: round(median(agent.map((job) => job.applyStartedAt - job.submittedAt)) / 1000, 3),
        last_stage_to_result_stored_s: round(median(agent.map((job) => job.finishedAt - job.lastStageFinishedAt)) / 1000, 3),
        idle_agent_rss_mib: round(idle.rssMiB, 1),
        idle_agent_private_mib: round(idle.privateMiB, 1),
        idle_agent_rss_after_jobs_mib: round(idleAfterJobs.rssMiB, 1),
        idle_agent_private_after_jobs_mib: round(idleAfterJobs.privateMiB, 1),
        rss_baseline: 'a bare `node -e` process that only waits, same run, same settling',
        rss_baseline_mib: round(bare.rssMiB, 1),
        private_baseline_mib: round(bare.privateMiB, 1),
        idle_rss_ratio_to_baseline: round(idle.rssMiB / bare.rssMiB, 2),
        goal_idle_rss_mib: GOAL_IDLE_RSS_MIB,
        idle_rss_goal_met: idle.rssMiB <= GOAL_IDLE_RSS_MIB,
        note: `agent time is from the maintainer hearing BUNDLE_SUBMITTED to hearing JOB_FINISHED (offer, fetch, open, clone, apply, build, boot, workload, signed result, outbox, wipe, ingest); medians of ${MEASURED_JOBS} alternating pairs after ${WARMUP_JOBS} warm-up; memory is the peak of ${MEMORY_SAMPLES} samples ${SETTLE_MS / 1000} s after the agent connected (and after its last job); private = Private_Dirty of smaps_rollup, the rest of RSS is the node binary and libraries shared with every node process`,
      };
    } finally {
      await lab.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
