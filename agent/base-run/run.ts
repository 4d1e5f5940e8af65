// The base run of a job whose embargo's bar asks for no new failures: the workloads the series ran,
// run again on the unpatched base (no patch applied), or taken from the cache; the stages to sign
// then carry both. With reuse_build_dir it goes first when the job's warm-up has just built the
// base (the first job on a new base): that build is the base run's, nothing is built twice.
// Otherwise it comes after the series, keeps the base build the series was built on and removes
// only what the series built, so going back to the base rebuilds only what it touched.
import { statusFromProto } from '../../shared/status.js';
import { cleanBuildDir, type WarmOutcome } from '../pipeline/build-cache.js';
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

/** A base outcome of each workload stage that has one, by stage name. */
export type BaseOutcomes = Map<string, BaseOutcome>;

const keyOf = (input: Pick<BaseRunInput, 'ctx' | 'agentName'>, commit: string, workload: WorkloadSettings): BaseKey => ({ agent: input.agentName, tree: input.ctx.tree.name, commit, workload });

/** Why the base cannot be run beside the series on this tree, or null when it can. */
function noBaseRun(ctx: PipelineContext): string | null {
  return restartsMachine(ctx.tree.boot) ? 'the boot method restarts the machine; failures cannot be told from pre-existing ones' : null;
}

/** `workloads` on the base `commit`, outside the cache; each outcome that can be trusted is cached. */
async function runOnBase(input: Omit<BaseRunInput, 'stages'>, commit: string, workloads: readonly WorkloadSettings[], builtAtBase: boolean): Promise<BaseOutcomes> {
  const { ctx } = input;
  const run = await runPipeline({ jobId: input.plan.jobId, base: commit, patches: [], workloads: workloads.map((w) => w.name), builtAtBase }, ctx);
  ctx.logger.info({ base: commit, stages: run.stages.map((stage) => ({ name: stage.name, status: statusFromProto(stage.status!), durationMs: Number(stage.durationMs ?? 0) })) }, 'base run finished');
  const broke = run.stages.some((stage) => (stage.name === BUILD || stage.name === BOOT) && UNRELIABLE.has(statusFromProto(stage.status!)));
  const now = Date.now();
  const outcomes: BaseOutcomes = new Map();
  for (const workload of workloads) {
    const stage = run.stages.find((candidate) => candidate.name === workloadStage(workload.name));
    if (!stage) continue;
    const entry = entryOf(stage, now);
    outcomes.set(workloadStage(workload.name), { ...entry, cached: false });
    if (!broke && !UNRELIABLE.has(entry.status) && !ctx.signal.aborted) await input.cache.put(keyOf(input, commit, workload), entry);
  }
  return outcomes;
}

/** The workloads of `workloads` with no cached base outcome, and the outcomes the cache holds. */
async function fromCache(input: Omit<BaseRunInput, 'stages'>, commit: string, workloads: readonly WorkloadSettings[]): Promise<{ outcomes: BaseOutcomes; missing: WorkloadSettings[] }> {
  const outcomes: BaseOutcomes = new Map();
  const missing: WorkloadSettings[] = [];
  for (const workload of workloads) {
    const cached = await input.cache.get(keyOf(input, commit, workload));
    if (cached) outcomes.set(workloadStage(workload.name), { ...cached, cached: true });
    else missing.push(workload);
  }
  return { outcomes, missing };
}

/**
 * The base run before the series, when the job's warm-up has just built the base into the reused
 * build directory (`warm.state` built): the planned workloads without a cached base outcome run on
 * that build as it is, so the base is never rebuilt for them. Their outcomes are for
 * withBaseStatuses; empty when the base run waits for the series (any other warm-up state).
 */
export async function baseRunOnWarmUp(input: Omit<BaseRunInput, 'stages'>, warm: WarmOutcome): Promise<BaseOutcomes> {
  const { ctx } = input;
  if (warm.state !== 'built' || noBaseRun(ctx)) return new Map();
  const commit = await ctx.gitTree.resolve(input.plan.base);
  if (!commit) return new Map();
  const planned = input.plan.workloads.length === 0 ? ctx.tree.workloads : ctx.tree.workloads.filter((w) => input.plan.workloads.includes(w.name));
  const { missing } = await fromCache(input, commit, planned);
  if (missing.length === 0) return new Map();
  ctx.logger.info({ base: commit, run: missing.map((w) => w.name) }, 'running the workloads on the base just built, before the series');
  return runOnBase(input, commit, missing, true);
}

/**
 * The series' stages with base statuses added where a base outcome is known: from `early` (the
 * base run that went first), from the cache, or run now on the base.
 */
export async function withBaseStatuses(input: BaseRunInput, early: ReadonlyMap<string, BaseOutcome> = new Map()): Promise<StageInit[]> {
  const { ctx } = input;
  const workloads = reached(input).filter((workload) => !early.has(workloadStage(workload.name)));
  if (workloads.length === 0) return annotateStages(input.stages, early);
  const refused = noBaseRun(ctx);
  if (refused) {
    ctx.logger.warn({ boot: ctx.tree.boot.method }, `no base run: ${refused}`);
    return input.stages;
  }
  const commit = await ctx.gitTree.resolve(input.plan.base);
  if (!commit) return annotateStages(input.stages, early);
  const { outcomes, missing } = await fromCache(input, commit, workloads);
  ctx.logger.info({ base: commit, cached: workloads.length - missing.length, run: missing.map((w) => w.name) }, missing.length > 0 ? 'running the workloads on the base' : 'base outcomes reused from the cache');
  if (missing.length > 0) {
    await cleanBuildDir(ctx.buildDir, ctx.tree.reuseBuildDir);
    for (const [name, outcome] of await runOnBase(input, commit, missing, false)) outcomes.set(name, outcome);
  }
  return annotateStages(input.stages, new Map([...early, ...outcomes]));
}
