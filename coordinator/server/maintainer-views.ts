// What a maintainer sees of a bundle's jobs: status views and report input, built from stored jobs
// and the signed results (decoded, never their logs). Pure, apart from the decoding.
import { darkroom } from '../../proto/darkroom.js';
import { statusFromProto, statusToProto, type Status } from '../../shared/status.js';
import type { JobOutcome, JobState, StageOutcome } from '../report/index.js';
import type { Job } from '../store/jobs.js';
import type { StoredResult } from '../store/results.js';

/** What the maintainer views need of one job: the job, its agent's class, its latest result. */
export interface JobRecord {
  job: Job;
  hardwareClass: string;
  /** The decoded result of the job's newest stored attempt, if any. */
  result: darkroom.v1.Result | null;
}

/** Decodes the Result inside stored SignedResult bytes (verified when it was ingested). */
export function decodeStoredResult(stored: StoredResult): darkroom.v1.Result {
  const signed = darkroom.v1.SignedResult.decode(stored.signed);
  return darkroom.v1.Result.decode(signed.result);
}

/** The newest stored attempt of each job, by job id. */
export function latestStored(results: readonly StoredResult[]): Map<string, StoredResult> {
  const latest = new Map<string, StoredResult>();
  for (const stored of results) {
    const known = latest.get(stored.jobId);
    if (!known || stored.attempt > known.attempt) latest.set(stored.jobId, stored);
  }
  return latest;
}

/** The newest stored result of each job, by job id. */
export function latestResults(results: readonly StoredResult[]): Map<string, darkroom.v1.Result> {
  return new Map([...latestStored(results)].map(([jobId, stored]) => [jobId, decodeStoredResult(stored)]));
}

/** The status of a proto enum value, or null when unset (a stage still running). */
function statusOrNull(value: number | null | undefined): Status | null {
  return value ? statusFromProto(value) : null;
}

/**
 * Per-stage view of a job: the result's stages when its current attempt has one; otherwise the
 * stage it reported last, running.
 */
export function stageViews(record: JobRecord): darkroom.v1.StageView.$Properties[] {
  const { job, result } = record;
  if (result && result.attempt === job.attempt) {
    return result.stages.map((stage) => ({ name: stage.name, status: stage.status, running: false }));
  }
  if (job.state !== 'running' || !job.stage) return [];
  return [{ name: job.stage, running: true }];
}

export function jobView(record: JobRecord): darkroom.v1.JobView.$Properties {
  const { job } = record;
  const status = job.status ? statusToProto(job.status) : darkroom.v1.Status.STATUS_UNSPECIFIED;
  return {
    jobId: job.id,
    agent: job.agentName,
    hardwareClass: record.hardwareClass,
    tree: job.tree,
    state: job.state === 'miss' ? 'missed' : job.state,
    stage: job.stage ?? '',
    status,
    attempt: job.attempt,
    stages: stageViews(record),
  };
}

/** Job states in which a result may still come. */
export const OPEN_STATES: ReadonlySet<string> = new Set(['queued', 'offered', 'running']);

/** True when no job of the bundle can still change (and it has at least one job). */
export function bundleComplete(jobs: readonly Job[]): boolean {
  return jobs.length > 0 && jobs.every((job) => !OPEN_STATES.has(job.state));
}

function stageOutcome(stage: darkroom.v1.StageResult.$Properties): StageOutcome | null {
  const status = statusOrNull(stage.status);
  if (!status) return null;
  return { name: stage.name ?? '', status, failingCases: (stage.counts?.fail ?? 0) + (stage.counts?.error ?? 0) };
}

/** The report's view of a job: a done job counts by its result's stages and signed case counts, others by their state. */
export function jobOutcome(record: JobRecord): JobOutcome {
  const { job, result } = record;
  const done = job.state === 'done' && result !== null;
  const stages = done ? result.stages.flatMap((stage) => stageOutcome(stage) ?? []) : [];
  return { jobId: job.id, attempt: done ? result.attempt : job.attempt, agent: job.agentName, hardwareClass: record.hardwareClass, tree: job.tree, state: job.state as JobState, stages };
}
