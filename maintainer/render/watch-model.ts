// What changed between two views of a bundle's jobs: the pure half of `darkroom watch`.
import type { darkroom } from '../../proto/darkroom.js';
import { statusFromProto, type Status } from '../../shared/status.js';

/** Job states after which nothing more happens to an attempt. */
export const ENDED_STATES: ReadonlySet<string> = new Set(['done', 'lost', 'cancelled', 'missed']);

export interface JobLabel {
  jobId: string;
  agent: string;
  hardwareClass: string;
  tree: string;
}

export type WatchEvent =
  | { kind: 'job-added'; job: JobLabel; state: string }
  | { kind: 'job-state'; job: JobLabel; state: string; attempt: number }
  | { kind: 'stage-started'; job: JobLabel; stage: string }
  | { kind: 'stage-finished'; job: JobLabel; stage: string; status: Status; durationMs: number | null }
  | { kind: 'job-finished'; job: JobLabel; state: string; status: Status | null }
  | { kind: 'bundle-complete'; bundleId: string };

/** One progress bar's worth: stages ended out of the stages known, and where the job is. */
export interface JobProgress {
  job: JobLabel;
  state: string;
  stage: string;
  done: number;
  total: number;
  status: Status | null;
}

type StagePhase = 'waiting' | 'running' | 'finished';

interface TrackedJob {
  label: JobLabel;
  state: string;
  stage: string;
  attempt: number;
  status: Status | null;
  stages: Map<string, { phase: StagePhase; startedAt: number | null }>;
}

type JobViewInput = darkroom.v1.JobView.$Properties;
type StageViewInput = darkroom.v1.StageView.$Properties;

function phaseOf(stage: StageViewInput): StagePhase {
  if (stage.status) return 'finished';
  return stage.running ? 'running' : 'waiting';
}

function labelOf(view: JobViewInput): JobLabel {
  return { jobId: view.jobId ?? '', agent: view.agent ?? '', hardwareClass: view.hardwareClass ?? '', tree: view.tree ?? '' };
}

/**
 * Remembers the last view of every job and turns each new snapshot or job update into the events
 * that happened in between. Time is passed in, so the model stays deterministic.
 */
export class WatchModel {
  #jobs = new Map<string, TrackedJob>();
  #complete = false;
  #bundleId = '';

  get complete(): boolean {
    return this.#complete;
  }

  /** Applies a whole BundleStatus; jobs absent from it are kept as last seen. */
  applyStatus(snapshot: darkroom.v1.BundleStatus.$Properties, nowMs: number): WatchEvent[] {
    this.#bundleId = snapshot.bundleId ?? this.#bundleId;
    const events = (snapshot.jobs ?? []).flatMap((view) => this.applyJob(view, nowMs));
    if (snapshot.complete && !this.#complete) {
      this.#complete = true;
      events.push({ kind: 'bundle-complete', bundleId: this.#bundleId });
    }
    return events;
  }

  applyJob(view: JobViewInput, nowMs: number): WatchEvent[] {
    const id = view.jobId ?? '';
    const known = this.#jobs.get(id);
    const attempt = view.attempt ?? 0;
    const job: TrackedJob = known && known.attempt === attempt ? known : { label: labelOf(view), state: '', stage: '', attempt, status: null, stages: new Map() };
    const events: WatchEvent[] = [];
    const state = view.state ?? '';
    if (!known) events.push({ kind: 'job-added', job: job.label, state });
    else if ((known.state !== state || known.attempt !== attempt) && !ENDED_STATES.has(state)) events.push({ kind: 'job-state', job: job.label, state, attempt });
    for (const stage of view.stages ?? []) events.push(...this.#applyStage(job, stage, nowMs));
    job.status = view.status ? statusFromProto(view.status) : null;
    if (ENDED_STATES.has(state) && !ENDED_STATES.has(job.state)) events.push({ kind: 'job-finished', job: job.label, state, status: job.status });
    job.state = state;
    job.stage = view.stage ?? '';
    this.#jobs.set(id, job);
    return events;
  }

  #applyStage(job: TrackedJob, stage: StageViewInput, nowMs: number): WatchEvent[] {
    const name = stage.name ?? '';
    const before = job.stages.get(name) ?? { phase: 'waiting' as StagePhase, startedAt: null };
    const phase = phaseOf(stage);
    job.stages.set(name, { phase, startedAt: before.phase === 'waiting' && phase !== 'waiting' ? nowMs : before.startedAt });
    if (phase === before.phase) return [];
    if (phase === 'running') return [{ kind: 'stage-started', job: job.label, stage: name }];
    if (phase === 'finished') {
      const durationMs = before.phase === 'running' && before.startedAt !== null ? nowMs - before.startedAt : null;
      return [{ kind: 'stage-finished', job: job.label, stage: name, status: statusFromProto(stage.status!), durationMs }];
    }
    return [];
  }

  /** Every job in the order first seen. */
  progress(): JobProgress[] {
    return [...this.#jobs.values()].map((job) => {
      const phases = [...job.stages.values()].map((stage) => stage.phase);
      return { job: job.label, state: job.state, stage: job.stage, done: phases.filter((phase) => phase === 'finished').length, total: phases.length, status: job.status };
    });
  }
}

/** `41 s`, `2 min 5 s`, `350 ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** `[agent-a x86_64/AMD/EPYC]`, or the job id before an agent is assigned. */
export function formatLabel(job: JobLabel): string {
  return job.agent ? `[${job.agent} ${job.hardwareClass}]` : `[job ${job.jobId}]`;
}

/** One plain line per event, for output that is not a terminal. */
export function formatEvent(event: WatchEvent): string {
  switch (event.kind) {
    case 'job-added':
      return `${formatLabel(event.job)} ${event.state}`;
    case 'job-state':
      return `${formatLabel(event.job)} ${event.state}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`;
    case 'stage-started':
      return `${formatLabel(event.job)} ${event.stage}: started`;
    case 'stage-finished':
      return `${formatLabel(event.job)} ${event.stage}: ${event.status}${event.durationMs === null ? '' : ` (${formatDuration(event.durationMs)})`}`;
    case 'job-finished':
      return `${formatLabel(event.job)} finished: ${event.status ?? event.state}`;
    case 'bundle-complete':
      return `Bundle ${event.bundleId} complete`;
  }
}
