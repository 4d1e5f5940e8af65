// The job state machine, pure: which event moves a job from which state to which, and when time does.
//
//   queued ──offer──▶ offered ──accept──▶ running ──result──▶ done
//     ▲  ╲              │ ╲                 │  ╲
//     │   ╲decline/     │  ╲lease lapses    │   ╲ERROR, attempts left: queued (attempt + 1)
//     │    ╲timeout     │   ╲               │
//     │     ▼           │    ▼              ▼
//     │    miss         └──▶ queued (lapsed) ──past the lost limit──▶ lost
//     └────────── any open state ──cancel──▶ cancelled
//
// A lapsed job is re-offered to the same agent, with the same attempt, when it returns: the agent
// may still hold it or its result. A late result still counts after miss or lost (the truth beats
// a guess), never after cancel. FAIL is final; only ERROR is retried.
import { DarkroomError } from '../../shared/errors.js';
import type { Status } from '../../shared/status.js';

export type JobState = 'queued' | 'offered' | 'running' | 'done' | 'lost' | 'cancelled' | 'miss';

export const OPEN_STATES: readonly JobState[] = ['queued', 'offered', 'running'];

/** Lease granted on accept and renewed by each heartbeat. */
export const DEFAULT_LEASE_MS = 60_000;
/** ERROR results retried this many times (so at most 1 + this many attempts). */
export const DEFAULT_ERROR_RETRIES = 2;
/** A job no agent has started within this long is reported as MISS. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/** A job whose agent vanished is marked lost this long after its lease first lapsed. */
export const DEFAULT_LOST_AFTER_MS = 30 * 60 * 1000;

export interface JobPolicy {
  leaseMs: number;
  errorRetries: number;
  queueTimeoutMs: number;
  lostAfterMs: number;
}

export const DEFAULT_JOB_POLICY: JobPolicy = {
  leaseMs: DEFAULT_LEASE_MS,
  errorRetries: DEFAULT_ERROR_RETRIES,
  queueTimeoutMs: DEFAULT_QUEUE_TIMEOUT_MS,
  lostAfterMs: DEFAULT_LOST_AFTER_MS,
};

export interface JobSnapshot {
  state: JobState;
  attempt: number;
  queuedAt: number;
  offeredAt: number | null;
  startedAt: number | null;
  leaseUntil: number | null;
  /** When the lease first lapsed without a result; null while the agent is in touch. */
  lapsedAt: number | null;
  finishedAt: number | null;
  status: Status | null;
  reason: string | null;
}

export type JobEvent =
  | { kind: 'offer' }
  | { kind: 'accept'; attempt: number }
  | { kind: 'decline'; attempt: number; reason: string }
  | { kind: 'heartbeat' }
  | { kind: 'result'; attempt: number; status: Status }
  | { kind: 'cancel'; reason: string }
  | { kind: 'lease-lapsed' }
  | { kind: 'give-up' }
  | { kind: 'queue-timeout' };

export type LifecycleErrorCode = 'JOB_TRANSITION_INVALID';

export class LifecycleError extends DarkroomError<LifecycleErrorCode> {}

export function isOpen(state: JobState): boolean {
  return OPEN_STATES.includes(state);
}

function refuse(job: JobSnapshot, event: JobEvent, why: string): never {
  throw new LifecycleError('JOB_TRANSITION_INVALID', `Job in state ${job.state} (attempt ${job.attempt}) cannot take '${event.kind}': ${why}`);
}

function checkAttempt(job: JobSnapshot, event: JobEvent & { attempt: number }): void {
  if (event.attempt !== job.attempt) refuse(job, event, `it names attempt ${event.attempt}`);
}

export interface At {
  now: number;
  policy?: JobPolicy;
}

/** The job after `event` at time `now`; throws LifecycleError when the event is not allowed. */
export function transition(job: JobSnapshot, event: JobEvent, { now, policy = DEFAULT_JOB_POLICY }: At): JobSnapshot {
  switch (event.kind) {
    case 'offer':
      if (job.state !== 'queued') refuse(job, event, 'only queued jobs are offered');
      return { ...job, state: 'offered', offeredAt: now };
    case 'accept':
      checkAttempt(job, event);
      if (job.state === 'running') return { ...job, leaseUntil: now + policy.leaseMs };
      if (job.state !== 'offered' && job.state !== 'queued') refuse(job, event, 'it was not offered');
      return { ...job, state: 'running', startedAt: job.startedAt ?? now, leaseUntil: now + policy.leaseMs, lapsedAt: null };
    case 'decline':
      checkAttempt(job, event);
      if (job.state !== 'offered') refuse(job, event, 'it was not offered');
      return finish(job, 'miss', { now, status: 'MISS', reason: `declined: ${event.reason}` });
    case 'heartbeat':
      if (job.state !== 'running') refuse(job, event, 'only running jobs hold a lease');
      return { ...job, leaseUntil: now + policy.leaseMs };
    case 'result':
      return applyResult(job, event, { now, policy });
    case 'cancel':
      if (!isOpen(job.state)) refuse(job, event, 'it has already ended');
      return finish(job, 'cancelled', { now, status: null, reason: event.reason });
    case 'lease-lapsed':
      if (job.state !== 'running' && job.state !== 'offered') refuse(job, event, 'it holds no lease');
      return { ...job, state: 'queued', leaseUntil: null, lapsedAt: job.lapsedAt ?? now };
    case 'give-up':
      if (!isOpen(job.state) || job.lapsedAt === null) refuse(job, event, 'its agent has not vanished');
      return finish(job, 'lost', { now, status: 'MISS', reason: 'agent did not return before the lost limit' });
    case 'queue-timeout':
      if ((job.state !== 'queued' && job.state !== 'offered') || job.lapsedAt !== null) refuse(job, event, 'it was picked up');
      return finish(job, 'miss', { now, status: 'MISS', reason: 'no agent started it before the queue time-out' });
  }
}

function applyResult(job: JobSnapshot, event: { kind: 'result'; attempt: number; status: Status }, { now, policy = DEFAULT_JOB_POLICY }: At): JobSnapshot {
  checkAttempt(job, event);
  if (job.state === 'cancelled') refuse(job, event, 'it was cancelled');
  if (job.state === 'done') refuse(job, event, 'it already has a result');
  if (event.status === 'ERROR' && job.attempt <= policy.errorRetries) {
    return { ...job, state: 'queued', attempt: job.attempt + 1, queuedAt: now, offeredAt: null, startedAt: null, leaseUntil: null, lapsedAt: null, status: null, reason: 'retrying after ERROR' };
  }
  return finish(job, 'done', { now, status: event.status, reason: null });
}

function finish(job: JobSnapshot, state: JobState, outcome: { now: number; status: Status | null; reason: string | null }): JobSnapshot {
  return { ...job, state, leaseUntil: null, finishedAt: outcome.now, status: outcome.status, reason: outcome.reason };
}

/** The time-driven event due for this job at `now`, or null: lease lapse, loss, queue time-out. */
export function dueEvent(job: JobSnapshot, { now, policy = DEFAULT_JOB_POLICY }: At): JobEvent | null {
  if (!isOpen(job.state)) return null;
  if (job.lapsedAt !== null) return now - job.lapsedAt >= policy.lostAfterMs ? { kind: 'give-up' } : null;
  if (job.state === 'running') return job.leaseUntil !== null && now >= job.leaseUntil ? { kind: 'lease-lapsed' } : null;
  return now - job.queuedAt >= policy.queueTimeoutMs ? { kind: 'queue-timeout' } : null;
}
