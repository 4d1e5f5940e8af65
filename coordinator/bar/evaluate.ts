// The quality bar's verdict for one bundle (docs/quality-bar.md): from the bar, the bundle's jobs
// and the latest verified result of each, at a given time. Pure.
import { rollUp, type Status } from '../../shared/status.js';
import type { CountUnit, QualityBar } from './format.js';

export const BAR_VERDICT_FORMAT = 'darkroom.bar.v1';
const STAGE_COLUMNS = ['apply', 'build', 'boot'] as const;
const WORKLOAD_PREFIX = 'workload:';

export interface BarCase {
  name: string;
  status: Status;
  /** Its status on the unpatched base, as the agent signed it; null when no base ran. */
  baseStatus: Status | null;
}

export interface BarStage {
  /** apply | build | boot | workload:<name> */
  name: string;
  status: Status;
  baseStatus: Status | null;
  cases: readonly BarCase[];
}

export interface BarResult {
  resultId: string;
  /** When the coordinator stored it: results after the deadline do not count. */
  receivedAtMs: number;
  stages: readonly BarStage[];
}

export interface BarJob {
  jobId: string;
  agent: string;
  hardwareClass: string;
  /** The target tree: each tree of a bundle must meet the counts on its own. */
  tree: string;
  /** Queued, offered or running: its result may still come. */
  open: boolean;
  /** The latest verified result of the job, if any. */
  result: BarResult | null;
}

export type Verdict = 'met' | 'pending' | 'failed';
export type RequirementState = 'met' | 'pending' | 'failed';

export interface RequirementVerdict {
  /** build | boot | workload:<name> | no_new_failures */
  requirement: string;
  /** The target tree a count requirement was judged on; absent for no_new_failures. */
  tree?: string;
  state: RequirementState;
  unit?: CountUnit;
  need?: number;
  /** The distinct classes or agents that satisfied it, sorted. */
  have?: string[];
  /** no_new_failures: jobs whose result may still bring a new failure. */
  open?: number;
}

/** regression: fails with the series, passes on the base (or is absent there). */
export type BreakReason = 'regression' | 'new case fails' | 'no base run' | 'stage failed' | 'base did not fail';

export interface BrokenBy {
  resultId: string;
  jobId: string;
  agent: string;
  hardwareClass: string;
  column: string;
  /** Empty when the stage itself failed. */
  case: string;
  status: Status;
  baseStatus: Status | null;
  reason: BreakReason;
}

export interface Classification {
  pass: number;
  regression: number;
  preExisting: number;
  fixed: number;
  /** `agent column case` of every case the series fixed. */
  fixedCases: string[];
}

export interface BarVerdict {
  format: typeof BAR_VERDICT_FORMAT;
  verdict: Verdict;
  deadline: string | null;
  deadlinePassed: boolean;
  requirements: RequirementVerdict[];
  /** What is still needed, one line each; empty when met. */
  missing: string[];
  /** The new failures that failed the bar. */
  broken: BrokenBy[];
  /** Cases against the base; null when the bar asks for no base runs. */
  classification: Classification | null;
}

/** The result of a job, if it arrived in time. */
function counted(job: BarJob, bar: QualityBar): BarResult | null {
  if (!job.result) return null;
  return bar.deadlineMs === null || job.result.receivedAtMs <= bar.deadlineMs ? job.result : null;
}

function stageOf(result: BarResult, name: string): BarStage | undefined {
  return result.stages.find((stage) => stage.name === name);
}

/** The build requirement: apply and build ran and passed (a lab that only builds meets it). */
function built(result: BarResult): boolean {
  return stageOf(result, 'apply')?.status === 'PASS' && stageOf(result, 'build')?.status === 'PASS';
}

/**
 * The boot requirement: the boot ran and passed (boot method `none` gives SKIP and does not
 * count), after apply passed and build passed or was not configured.
 */
function booted(result: BarResult): boolean {
  const stages = STAGE_COLUMNS.map((name) => stageOf(result, name)?.status ?? 'SKIP');
  return stages[0] === 'PASS' && stages[2] === 'PASS' && rollUp(stages) === 'PASS';
}

/** Distinct classes or agents of the counted results that satisfy `test`. */
function satisfying(jobs: ReadonlyArray<{ job: BarJob; result: BarResult | null }>, unit: CountUnit, test: (result: BarResult) => boolean): string[] {
  const keys = jobs.filter(({ result }) => result !== null && test(result)).map(({ job }) => (unit === 'classes' ? job.hardwareClass : job.agent));
  return [...new Set(keys)].sort();
}

function countRequirement(requirement: string, tree: string, count: { unit: CountUnit; need: number; have: string[] }): RequirementVerdict {
  return { requirement, tree, state: count.have.length >= count.need ? 'met' : 'pending', ...count };
}

/** The failures of one result that the base does not explain. */
function newFailures(job: BarJob, result: BarResult): BrokenBy[] {
  const at = { resultId: result.resultId, jobId: job.jobId, agent: job.agent, hardwareClass: job.hardwareClass };
  const broken: BrokenBy[] = [];
  for (const stage of result.stages) {
    if (!stage.name.startsWith(WORKLOAD_PREFIX)) {
      if (stage.status === 'FAIL') broken.push({ ...at, column: stage.name, case: '', status: 'FAIL', baseStatus: null, reason: 'stage failed' });
      continue;
    }
    const failing = stage.cases.filter((testCase) => testCase.status === 'FAIL');
    for (const testCase of failing) {
      if (testCase.baseStatus === 'FAIL') continue;
      const reason: BreakReason = testCase.baseStatus === null ? 'no base run' : testCase.baseStatus === 'PASS' ? 'regression' : testCase.baseStatus === 'MISS' ? 'new case fails' : 'base did not fail';
      broken.push({ ...at, column: stage.name, case: testCase.name, status: 'FAIL', baseStatus: testCase.baseStatus, reason });
    }
    if (failing.length === 0 && stage.status === 'FAIL' && stage.baseStatus !== 'FAIL') {
      broken.push({ ...at, column: stage.name, case: '', status: 'FAIL', baseStatus: stage.baseStatus, reason: stage.baseStatus === null ? 'no base run' : 'base did not fail' });
    }
  }
  return broken;
}

function classify(results: ReadonlyArray<{ job: BarJob; result: BarResult | null }>): Classification {
  const classification: Classification = { pass: 0, regression: 0, preExisting: 0, fixed: 0, fixedCases: [] };
  for (const { job, result } of results) {
    for (const stage of result?.stages ?? []) {
      for (const testCase of stage.cases) {
        if (testCase.baseStatus === null || (testCase.status !== 'PASS' && testCase.status !== 'FAIL')) continue;
        const baseFailed = testCase.baseStatus === 'FAIL';
        if (testCase.status === 'PASS' && baseFailed) {
          classification.fixed++;
          classification.fixedCases.push(`${job.agent} ${stage.name} ${testCase.name}`);
        } else if (testCase.status === 'PASS') classification.pass++;
        else if (baseFailed) classification.preExisting++;
        else classification.regression++;
      }
    }
  }
  return classification;
}

const plural = (count: number, unit: CountUnit) => (unit === 'classes' ? `${count} more hardware class${count === 1 ? '' : 'es'}` : `${count} more agent${count === 1 ? '' : 's'}`);

/** `boot: 1 more hardware class`; the tree is named when the bundle targets several. */
function missingLine(requirement: RequirementVerdict, severalTrees: boolean): string | null {
  if (requirement.state !== 'pending') return null;
  if (requirement.open !== undefined) return `${requirement.requirement}: ${requirement.open} job${requirement.open === 1 ? '' : 's'} still to report`;
  const where = severalTrees ? ` (${requirement.tree})` : '';
  return `${requirement.requirement}${where}: ${plural(requirement.need! - requirement.have!.length, requirement.unit!)}`;
}

/** The counts each target tree must reach on its own results. */
function countRequirements(bar: QualityBar, results: ReadonlyArray<{ job: BarJob; result: BarResult | null }>, trees: readonly string[]): RequirementVerdict[] {
  const requirements: RequirementVerdict[] = [];
  for (const tree of trees) {
    const mine = results.filter(({ job }) => job.tree === tree);
    if (bar.buildClasses !== null) requirements.push(countRequirement('build', tree, { unit: 'classes', need: bar.buildClasses, have: satisfying(mine, 'classes', built) }));
    if (bar.bootClasses !== null) requirements.push(countRequirement('boot', tree, { unit: 'classes', need: bar.bootClasses, have: satisfying(mine, 'classes', booted) }));
    for (const workload of bar.workloads) {
      const column = `${WORKLOAD_PREFIX}${workload.name}`;
      requirements.push(countRequirement(column, tree, { unit: workload.unit, need: workload.need, have: satisfying(mine, workload.unit, (result) => stageOf(result, column)?.status === 'PASS') }));
    }
  }
  return requirements;
}

/** Judges a bundle against its embargo's bar at `now`. */
export function evaluateBar(bar: QualityBar, jobs: readonly BarJob[], options: { now: number }): BarVerdict {
  const deadlinePassed = bar.deadlineMs !== null && options.now > bar.deadlineMs;
  const results = jobs.map((job) => ({ job, result: counted(job, bar) }));
  const found = [...new Set(jobs.map((job) => job.tree))].sort();
  // A bundle with no job yet still has its counts to reach.
  const trees = found.length > 0 ? found : [''];
  const requirements = countRequirements(bar, results, trees);
  const broken = bar.noNewFailures ? results.flatMap(({ job, result }) => (result ? newFailures(job, result) : [])) : [];
  if (bar.noNewFailures) {
    const open = deadlinePassed ? 0 : jobs.filter((job) => job.open).length;
    requirements.push({ requirement: 'no_new_failures', state: broken.length > 0 ? 'failed' : open > 0 ? 'pending' : 'met', open });
  }
  // Nothing demonstrated meets no bar, even one that only forbids new failures.
  const anyResult = results.some(({ result }) => result !== null);
  const allMet = anyResult && requirements.every((requirement) => requirement.state === 'met');
  const verdict: Verdict = broken.length > 0 ? 'failed' : allMet ? 'met' : deadlinePassed ? 'failed' : 'pending';
  const missing = requirements.map((requirement) => missingLine(requirement, trees.length > 1)).filter((line): line is string => line !== null);
  if (!anyResult && missing.length === 0) missing.push('no result yet');
  if (deadlinePassed && !allMet) missing.push(`deadline ${new Date(bar.deadlineMs!).toISOString()} passed`);
  return {
    format: BAR_VERDICT_FORMAT,
    verdict,
    deadline: bar.deadlineMs === null ? null : new Date(bar.deadlineMs).toISOString(),
    deadlinePassed,
    requirements,
    missing,
    broken,
    classification: bar.noNewFailures ? classify(results) : null,
  };
}
