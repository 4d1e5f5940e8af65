// The time a maintainer waits for a kernel verdict, beside the work it cannot avoid: one build of
// the base, the series' incremental build, and the boots and workloads of the series and of the
// base. Read from the agent's log and the signed result's stage durations.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { darkroom } from '../proto/darkroom.js';

/** The goal: the verdict within this many times the unavoidable work. */
export const VERDICT_GOAL_RATIO = 1.15;

interface LogLine {
  jobId?: string;
  msg?: string;
  state?: string;
  durationMs?: number;
  buildMs?: number;
  reason?: string;
  stages?: Array<{ name: string; status: string; durationMs: number }>;
}

/** The agent's JSON log lines (`agent.log` in `dir`). */
export async function agentLogLines(dir: string): Promise<LogLine[]> {
  return (await readFile(join(dir, 'agent.log'), 'utf8')).split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);
}

/** What the agent logged about its reused build directory, one line per job (and base run). */
export function warmUps(lines: readonly LogLine[]): LogLine[] {
  return lines.filter((line) => line.msg?.startsWith('build directory') || line.msg?.startsWith('Build directory'));
}

/** Full builds of the base the agent made into its reused build directory: the build command's time of each. */
export function fullBaseBuilds(lines: readonly LogLine[]): number[] {
  return warmUps(lines).filter((line) => line.state === 'built').map((line) => line.buildMs ?? 0);
}

export interface VerdictTime {
  verdictMs: number;
  baseBuildMs: number;
  seriesBuildMs: number;
  /** Boot and workload stages of the series. */
  seriesRunMs: number;
  /** Boot and workload stages of the base run; 0 without one. */
  baseRunMs: number;
  /** The base run's own build: 0 when it went first on the warm-up's build, else going back from the series to the base. */
  baseRebuildMs: number;
  /** baseBuildMs + seriesBuildMs + seriesRunMs + baseRunMs. */
  sumMs: number;
  ratio: number;
}

const ranStages = (stages: ReadonlyArray<{ name?: string | null; durationMs?: unknown }>, names: (name: string) => boolean) =>
  stages.filter((stage) => names(stage.name ?? '')).reduce((sum, stage) => sum + Number(stage.durationMs ?? 0), 0);
const bootOrWorkload = (name: string) => name === 'boot' || name.startsWith('workload:');

/** The job's timing; `lines` are the agent's log lines of this job only. */
export function verdictTime(verdictMs: number, stages: readonly darkroom.v1.IStageResult[], lines: readonly LogLine[]): VerdictTime {
  const baseBuildMs = fullBaseBuilds(lines).reduce((sum, ms) => sum + ms, 0);
  const baseRun = lines.find((line) => line.msg === 'base run finished')?.stages ?? [];
  const time = {
    verdictMs,
    baseBuildMs,
    seriesBuildMs: ranStages(stages, (name) => name === 'build'),
    seriesRunMs: ranStages(stages, bootOrWorkload),
    baseRunMs: ranStages(baseRun, bootOrWorkload),
    baseRebuildMs: ranStages(baseRun, (name) => name === 'build'),
  };
  const sumMs = time.baseBuildMs + time.seriesBuildMs + time.seriesRunMs + time.baseRunMs;
  return { ...time, sumMs, ratio: verdictMs / sumMs };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One line for the test's output. */
export function describeVerdictTime(time: VerdictTime): string {
  const parts = [`base build ${s(time.baseBuildMs)}`, `series build ${s(time.seriesBuildMs)}`, `series boot and workloads ${s(time.seriesRunMs)}`, `base boot and workloads ${s(time.baseRunMs)}`];
  return `time to the verdict ${s(time.verdictMs)} = ${time.ratio.toFixed(3)}x the sum ${s(time.sumMs)} (${parts.join(' + ')}; goal <= ${VERDICT_GOAL_RATIO}x); the base run's own build ${s(time.baseRebuildMs)}`;
}
