// One job's stages in order: apply, build, boot, then each workload; a stage that does not pass
// skips the rest. Returns the stage verdicts; the caller signs, persists and wipes.
import { messageOf } from '../../shared/errors.js';
import { rollUp, statusFromProto, type Status } from '../../shared/status.js';
import { GitTreeError } from './git-tree.js';
import { InitramfsError } from '../initramfs/index.js';
import { runBoot, type BootOutcome, type InProcessBoot } from './boot-stage.js';
import { prepareBuildDir } from './build-cache.js';
import type { PipelineContext } from './context.js';
import { handOver, restartsMachine, verifyRestartedKernel } from './reboot.js';
import type { WorkloadSettings } from './settings.js';
import { APPLY, BOOT, BUILD, stage, workloadStage, type StageInit } from './stages.js';
import { applyStage, buildStage } from './tree-stages.js';
import { guestWorkloadStage, hostWorkloadStage, type GuestResults } from './workload-stage.js';

export type { PipelineContext } from './context.js';

export interface JobPlan {
  jobId: string;
  base: string;
  /** Patch files in order, already decrypted into the workspace. */
  patches: string[];
  /** Workloads the bundle asks for; empty: every declared one. */
  workloads: string[];
  /**
   * The reused build directory holds a build of exactly this base, just made by the warm-up, and
   * no patch is applied: the build stage is that build, not run again (the base run that goes
   * first, base-run/run.ts).
   */
  builtAtBase?: boolean;
}

export interface PipelineOutcome {
  stages: StageInit[];
  status: Status;
}

/** A stage passed for what follows: PASS, or SKIP because it was not configured. */
const passed = (result: StageInit) => ['PASS', 'SKIP'].includes(statusFromProto(result.status!));

class Run {
  readonly stages: StageInit[] = [];
  readonly workloads: WorkloadSettings[];
  readonly #ctx: PipelineContext;

  constructor(plan: JobPlan, ctx: PipelineContext, completed: StageInit[] = []) {
    this.#ctx = ctx;
    this.stages.push(...completed);
    this.workloads = plan.workloads.length === 0 ? ctx.tree.workloads : ctx.tree.workloads.filter((w) => plan.workloads.includes(w.name));
  }

  /** Runs a stage, reporting its start and end; a throw is the agent's failure: ERROR. */
  async step(name: string, body: () => Promise<StageInit>): Promise<StageInit> {
    this.#ctx.progress(name, 'started');
    const started = performance.now();
    let result: StageInit;
    try {
      const done = await body();
      result = { ...done, durationMs: done.durationMs || Math.round(performance.now() - started) };
    } catch (error) {
      this.#ctx.logger.error({ stage: name, err: messageOf(error) }, 'Stage failed with an infrastructure error');
      result = stage(name, 'ERROR', performance.now() - started, infrastructureReason(error));
    }
    this.record(result);
    return result;
  }

  record(result: StageInit): void {
    this.stages.push(result);
    this.#ctx.progress(result.name!, 'finished', statusFromProto(result.status!));
  }

  /** Every stage after `after` is SKIP, naming the stage that stopped the run. */
  skipAfter(after: string): void {
    const names = [APPLY, BUILD, BOOT, ...this.workloads.map((w) => workloadStage(w.name))];
    for (const name of names.slice(names.indexOf(after) + 1)) this.record(stage(name, 'SKIP', 0, `${after} did not pass`));
  }

  async runWorkloads(guest: GuestResults | undefined): Promise<void> {
    for (const workload of this.workloads) {
      await this.step(workloadStage(workload.name), () => (workload.inGuest ? guestWorkloadStage(workload, this.#ctx, guest) : hostWorkloadStage(workload, this.#ctx)));
    }
  }

  outcome(): PipelineOutcome {
    return { stages: this.stages, status: rollUp(this.stages.map((s) => statusFromProto(s.status!))) };
  }
}

function infrastructureReason(error: unknown): string {
  if (error instanceof GitTreeError || error instanceof InitramfsError) return error.message;
  if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return 'the agent ran out of disk space (ENOSPC); free space on the agent';
  return `agent error: ${messageOf(error)}`;
}

export async function runPipeline(plan: JobPlan, ctx: PipelineContext): Promise<PipelineOutcome> {
  const run = new Run(plan, ctx);
  const warm = ctx.tree.reuseBuildDir ? await prepareBuildDir(plan.base, ctx) : undefined;
  if (warm) await ctx.afterWarmUp?.(warm);
  if (!passed(await run.step(APPLY, () => applyStage(plan.base, plan.patches, ctx)))) return (run.skipAfter(APPLY), run.outcome());
  const reused = plan.builtAtBase === true && plan.patches.length === 0 && warm?.state === 'warm';
  const build = () => (reused ? Promise.resolve(stage(BUILD, 'PASS', 0, 'the build of the base the warm-up has just made, used as it is')) : buildStage(ctx));
  if (!passed(await run.step(BUILD, build))) return (run.skipAfter(BUILD), run.outcome());
  const boot = ctx.tree.boot;
  if (restartsMachine(boot)) {
    // On a restart this process ends inside handOver; it returns only when the restart failed.
    await run.step(BOOT, () => handOver(boot, [...run.stages], ctx));
    return (run.skipAfter(BOOT), run.outcome());
  }
  const inProcess: InProcessBoot = boot;
  let outcome: BootOutcome | undefined;
  const booted = await run.step(BOOT, async () => (outcome = await runBoot(inProcess, run.workloads, ctx)).stage);
  if (!passed(booted)) return (run.skipAfter(BOOT), run.outcome());
  await run.runWorkloads(outcome?.guest);
  return run.outcome();
}

/**
 * Continues a job after a reboot or kexec, on the agent's next start: `completed` is what
 * beforeReboot persisted. The boot stage is the check that the expected kernel is running.
 */
export async function resumePipeline(plan: JobPlan, ctx: PipelineContext, completed: StageInit[]): Promise<PipelineOutcome> {
  const boot = ctx.tree.boot;
  const run = new Run(plan, ctx, completed);
  if (!restartsMachine(boot)) {
    run.record(stage(BOOT, 'ERROR', 0, `the job was resumed but boot method ${boot.method} does not restart the machine`));
    run.skipAfter(BOOT);
    return run.outcome();
  }
  if (!passed(await run.step(BOOT, () => verifyRestartedKernel(boot, ctx)))) return (run.skipAfter(BOOT), run.outcome());
  await run.runWorkloads(undefined);
  return run.outcome();
}
