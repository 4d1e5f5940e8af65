// The quality bar's verdict for one bundle (docs/quality-bar.md): from the bar, the bundle's jobs
// and the latest verified result of each, at a given time. It judges from the stage statuses and
// the case counts the agents signed: the coordinator never sees a case name. Pure.
import type { CaseCounts } from '../../shared/result-details.js';
import { rollUp, type Status } from '../../shared/status.js';
import type { CountUnit, QualityBar } from './format.js';

export const BAR_VERDICT_FORMAT = 'darkroom.bar.v1';
const STAGE_COLUMNS = ['apply', 'build', 'boot'] as const;
const WORKLOAD_PREFIX = 'workload:';

export interface BarStage {
  /** apply | build | boot | workload:<name> */
  name: string;
  status: Status;
  /** The stage's status on the unpatched base, as the agent signed it; null when no base ran. */
  baseStatus: Status | null;
  /** The stage's cases as the agent counted them, against the base when it ran. */
  counts: CaseCounts;
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
  /**
   * Empty as the coordinator judges (it holds no case name); the maintainer's client puts in each
   * case's name from the result's sealed details, one entry per case.
   */
  case: string;
  /** How many failing cases of the stage this entry stands for, for this reason; 0 when the stage itself failed. */
  cases: number;
  status: Status;
  /** The base status the reason implies (PASS for a regression, MISS for a new case); null when unknown or no base ran. */
  baseStatus: Status | null;
  reason: BreakReason;
}

/** A stage of one result in which the series fixed `cases` cases. */
export interface FixedIn {
  resultId: string;
  jobId: string;
  agent: string;
  column: string;
  cases: number;
}

export interface Classification {
  pass: number;
  regression: number;
  preExisting: number;
  fixed: number;
  /**
   * `agent column case` of every case the series fixed: empty as the coordinator judges, filled by
   * the maintainer's client from the sealed details of the results `fixedIn` names.
   */
  fixedCases: string[];
  fixedIn: FixedIn[];
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

/**
 * The failing cases of a workload stage that the base does not explain, by reason: with no base
 * run every FAIL; otherwise every FAIL but the pre-existing ones (regressions, new cases, and the
 * rest, whose base neither passed, failed nor lacked them).
 */
function caseBreaks(stage: BarStage): Array<{ reason: BreakReason; baseStatus: Status | null; cases: number }> {
  const { counts } = stage;
  if (stage.baseStatus === null) return [{ reason: 'no base run', baseStatus: null, cases: counts.fail }];
  return [
    { reason: 'regression', baseStatus: 'PASS', cases: counts.regressions },
    { reason: 'new case fails', baseStatus: 'MISS', cases: counts.newCaseFailures },
    { reason: 'base did not fail', baseStatus: null, cases: counts.fail - counts.preExisting - counts.regressions - counts.newCaseFailures },
  ];
}

/** The failures of one result that the base does not explain, one entry per stage and reason. */
function newFailures(job: BarJob, result: BarResult): BrokenBy[] {
  const at = { resultId: result.resultId, jobId: job.jobId, agent: job.agent, hardwareClass: job.hardwareClass };
  const broken: BrokenBy[] = [];
  for (const stage of result.stages) {
    if (!stage.name.startsWith(WORKLOAD_PREFIX)) {
      if (stage.status === 'FAIL') broken.push({ ...at, column: stage.name, case: '', cases: 0, status: 'FAIL', baseStatus: null, reason: 'stage failed' });
      continue;
    }
    for (const part of caseBreaks(stage)) if (part.cases > 0) broken.push({ ...at, column: stage.name, case: '', status: 'FAIL', ...part });
    if (stage.counts.fail === 0 && stage.status === 'FAIL' && stage.baseStatus !== 'FAIL') {
      broken.push({ ...at, column: stage.name, case: '', cases: 0, status: 'FAIL', baseStatus: stage.baseStatus, reason: stage.baseStatus === null ? 'no base run' : 'base did not fail' });
    }
  }
  return broken;
}

function classify(results: ReadonlyArray<{ job: BarJob; result: BarResult | null }>): Classification {
  const classification: Classification = { pass: 0, regression: 0, preExisting: 0, fixed: 0, fixedCases: [], fixedIn: [] };
  for (const { job, result } of results) {
    for (const stage of result?.stages ?? []) {
      if (stage.baseStatus === null) continue;
      const { counts } = stage;
      classification.pass += counts.pass - counts.fixed;
      classification.regression += counts.fail - counts.preExisting;
      classification.preExisting += counts.preExisting;
      classification.fixed += counts.fixed;
      if (counts.fixed > 0) classification.fixedIn.push({ resultId: result!.resultId, jobId: job.jobId, agent: job.agent, column: stage.name, cases: counts.fixed });
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
