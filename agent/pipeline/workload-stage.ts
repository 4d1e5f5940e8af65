// One workload's stage: run on the agent's machine, or read from the guest's console, then parsed.
import { readFile, writeFile } from 'node:fs/promises';
import { rollUp, type Status } from '../../shared/status.js';
import { parseWorkloadOutput } from '../parsers/index.js';
import { runCommand } from '../process/index.js';
import type { GuestWorkloadRun } from '../boot/guest-console.js';
import { logPath, resolvePath, stageEnv, type PipelineContext } from './context.js';
import type { WorkloadSettings } from './settings.js';
import { commandVerdict, stage, workloadStage, type StageInit } from './stages.js';

/** What the boot stage learnt about the in-guest workloads, when it ran a guest. */
export interface GuestResults {
  runs: Map<string, GuestWorkloadRun>;
  /** Why a workload the guest started or never reached did not finish. */
  unfinishedReason: string;
}

/** A time-out is the code's FAIL (it hung); output that cannot be trusted is ERROR (see parsers). */
export async function hostWorkloadStage(workload: WorkloadSettings, ctx: PipelineContext): Promise<StageInit> {
  const name = workloadStage(workload.name);
  const run = await runCommand(workload.command, {
    cwd: ctx.gitTree.dir, logPath: logPath(ctx, name), timeoutMs: workload.timeoutMs, signal: ctx.signal,
    env: stageEnv(ctx), logger: ctx.logger, tracker: ctx.tracker, sandbox: ctx.sandbox?.command({ network: workload.network }),
  });
  const verdict = commandVerdict(run, 'FAIL');
  if (verdict.status === 'ERROR' || run.timedOut) return stage(name, verdict.status, run.durationMs, verdict.reason);
  const stdout = await readFile(run.logPath, 'utf8');
  const junitXml = workload.junitFile ? await readFile(resolvePath(ctx, workload.junitFile), 'utf8').catch(() => undefined) : undefined;
  const parsed = parseWorkloadOutput(workload.format, { stdout, exitCode: run.exitCode ?? -1, name: workload.name, junitXml });
  return stage(name, parsed.status, run.durationMs, problemsReason(parsed.problems), parsed.cases);
}

/** A workload the guest did not finish is FAIL (the kernel stopped it), with what it printed. */
export async function guestWorkloadStage(workload: WorkloadSettings, ctx: PipelineContext, guest: GuestResults | undefined): Promise<StageInit> {
  const name = workloadStage(workload.name);
  if (!guest) return stage(name, 'ERROR', 0, 'in-guest workload, but the boot method runs no guest: use boot method qemu');
  const run = guest.runs.get(workload.name);
  await writeFile(logPath(ctx, name), run?.output ?? '', { mode: 0o600 });
  if (!run) return stage(name, 'FAIL', 0, guest.unfinishedReason);
  const parsed = parseWorkloadOutput(workload.format, { stdout: run.output, exitCode: run.exitCode ?? -1, name: workload.name });
  const status: Status = run.completed ? parsed.status : rollUp([parsed.status, 'FAIL']);
  return stage(name, status, run.durationMs ?? 0, run.completed ? problemsReason(parsed.problems) : guest.unfinishedReason, parsed.cases);
}

/** Parser problems are about the harness's output, not its content: safe to name in a reason. */
function problemsReason(problems: readonly string[]): string {
  return problems.join('; ');
}
