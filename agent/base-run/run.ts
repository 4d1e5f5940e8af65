// The base run of a job whose embargo's bar asks for no new failures: the workloads the series ran,
// run again on the unpatched base (no patch applied), or taken from the cache; the stages to sign
// then carry both. With reuse_build_dir the base run keeps the base build the series was built on
// and removes only what the series built, so going back to the base rebuilds only what it touched.
import { statusFromProto } from '../../shared/status.js';
import { cleanBuildDir } from '../pipeline/build-cache.js';
import { restartsMachine } from '../pipeline/reboot.js';
import { runPipeline, type JobPlan, type PipelineContext } from '../pipeline/run-job.js';
import { BOOT, BUILD, workloadStage, type StageInit } from '../pipeline/stages.js';
import type { WorkloadSettings } from '../pipeline/settings.js';
import { annotateStages, entryOf, type BaseOutcome } from './annotate.js';
import type { BaseCache, BaseKey } from './cache.js';

export interface BaseRunInput {
  plan: JobPlan;
  /** The series' stages, as the pipeline returned them. */
  stages: StageInit[];
  /** A context on the base: its own log directory, no progress reports. */
  ctx: PipelineContext;
  cache: BaseCache;
  agentName: string;
}

/** Statuses that say the base run itself broke: not cached, so the next bundle tries again. */
const UNRELIABLE = new Set(['ERROR', 'MISS']);

/** The workloads the series reached (a workload skipped because an earlier stage failed needs no base). */
function reached(input: BaseRunInput): WorkloadSettings[] {
  const ran = new Set(input.stages.filter((stage) => statusFromProto(stage.status!) !== 'SKIP').map((stage) => stage.name));
  return input.ctx.tree.workloads.filter((workload) => ran.has(workloadStage(workload.name)));
}

/** The series' stages with base statuses added where a base outcome is known. */
export async function withBaseStatuses(input: BaseRunInput): Promise<StageInit[]> {
  const { ctx } = input;
  const workloads = reached(input);
  if (workloads.length === 0) return input.stages;
  if (restartsMachine(ctx.tree.boot)) {
    ctx.logger.warn({ boot: ctx.tree.boot.method }, 'no base run: the boot method restarts the machine; failures cannot be told from pre-existing ones');
    return input.stages;
  }
  const commit = await ctx.gitTree.resolve(input.plan.base);
  if (!commit) return input.stages;
  const keyOf = (workload: WorkloadSettings): BaseKey => ({ agent: input.agentName, tree: ctx.tree.name, commit, workload });
  const outcomes = new Map<string, BaseOutcome>();
  const missing: WorkloadSettings[] = [];
  for (const workload of workloads) {
    const cached = await input.cache.get(keyOf(workload));
    if (cached) outcomes.set(workloadStage(workload.name), { ...cached, cached: true });
    else missing.push(workload);
  }
  ctx.logger.info({ base: commit, cached: workloads.length - missing.length, run: missing.map((w) => w.name) }, missing.length > 0 ? 'running the workloads on the base' : 'base outcomes reused from the cache');
  if (missing.length > 0) {
    await cleanBuildDir(ctx.buildDir, ctx.tree.reuseBuildDir);
    const run = await runPipeline({ jobId: input.plan.jobId, base: commit, patches: [], workloads: missing.map((w) => w.name) }, ctx);
    ctx.logger.info({ base: commit, stages: run.stages.map((stage) => ({ name: stage.name, status: statusFromProto(stage.status!), durationMs: Number(stage.durationMs ?? 0) })) }, 'base run finished');
    const broke = run.stages.some((stage) => (stage.name === BUILD || stage.name === BOOT) && UNRELIABLE.has(statusFromProto(stage.status!)));
    const now = Date.now();
    for (const workload of missing) {
      const stage = run.stages.find((candidate) => candidate.name === workloadStage(workload.name));
      if (!stage) continue;
      const entry = entryOf(stage, now);
      outcomes.set(workloadStage(workload.name), { ...entry, cached: false });
      if (!broke && !UNRELIABLE.has(entry.status) && !ctx.signal.aborted) await input.cache.put(keyOf(workload), entry);
    }
  }
  return annotateStages(input.stages, outcomes);
}
