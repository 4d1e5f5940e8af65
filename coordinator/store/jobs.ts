// Jobs: one per (bundle × eligible agent × declared tree), moved through the pure lifecycle.
import { randomBytes } from 'node:crypto';
import type { Status } from '../../shared/status.js';
import { DEFAULT_JOB_POLICY, dueEvent, transition, type JobEvent, type JobPolicy, type JobSnapshot, type JobState } from '../jobs/lifecycle.js';
import type { AuditLog } from './audit.js';
import type { Db } from './database.js';
import { StoreError } from './errors.js';
import type { Party } from './parties.js';

export interface Job extends JobSnapshot {
  id: string;
  bundleId: string;
  agentId: number;
  agentName: string;
  tree: string;
  stage: string | null;
  cancelDeliveredAt: number | null;
}

export interface CancelNotice {
  jobId: string;
  agentId: number;
  agentName: string;
  attempt: number;
  reason: string;
}

export type JobScope = { embargoId: number } | { agentId: number };

const JOB_SELECT = 'SELECT j.*, p.name AS agent_name FROM jobs j JOIN parties p ON p.id = j.agent_id';

export interface RawJob {
  id: string;
  bundle_id: string;
  agent_id: number;
  agent_name: string;
  tree: string;
  state: JobState;
  attempt: number;
  queued_at: number;
  offered_at: number | null;
  started_at: number | null;
  lease_until: number | null;
  lapsed_at: number | null;
  finished_at: number | null;
  status: Status | null;
  stage: string | null;
  reason: string | null;
  cancel_delivered_at: number | null;
}

export const jobFromRaw = (raw: RawJob): Job => ({
  id: raw.id,
  bundleId: raw.bundle_id,
  agentId: raw.agent_id,
  agentName: raw.agent_name,
  tree: raw.tree,
  state: raw.state,
  attempt: raw.attempt,
  queuedAt: raw.queued_at,
  offeredAt: raw.offered_at,
  startedAt: raw.started_at,
  leaseUntil: raw.lease_until,
  lapsedAt: raw.lapsed_at,
  finishedAt: raw.finished_at,
  status: raw.status,
  stage: raw.stage,
  reason: raw.reason,
  cancelDeliveredAt: raw.cancel_delivered_at,
});

const cancelNoticeOf = (raw: RawJob): CancelNotice => ({ jobId: raw.id, agentId: raw.agent_id, agentName: raw.agent_name, attempt: raw.attempt, reason: raw.reason ?? 'cancelled' });

/** A job as `create` inserts it: queued, first attempt. */
function queuedJob({ id, bundleId, agent, tree, now }: { id: string; bundleId: string; agent: Party; tree: string; now: number }): Job {
  return {
    id, bundleId, agentId: agent.id, agentName: agent.name, tree, state: 'queued', attempt: 1, queuedAt: now,
    offeredAt: null, startedAt: null, leaseUntil: null, lapsedAt: null, finishedAt: null, status: null, stage: null, reason: null, cancelDeliveredAt: null,
  };
}

/** `count` 32-hex job ids from the system's random source, drawn at once (one call, not one per job). */
export function newJobIds(count: number): string[] {
  const random = randomBytes(16 * count).toString('hex');
  return Array.from({ length: count }, (_, i) => random.slice(32 * i, 32 * (i + 1)));
}

export class Jobs {
  readonly #audit: AuditLog;
  readonly #policy: JobPolicy;
  readonly #insert;
  readonly #get;
  readonly #update;
  readonly #byBundle;
  readonly #due;
  readonly #openOfEmbargo;
  readonly #openOfAgent;
  readonly #holdsOpen;
  readonly #openInBundle;
  readonly #expiredLeases;
  readonly #pendingCancels;
  readonly #pendingCancelsOf;
  readonly #cancelDelivered;
  readonly #stage;
  readonly #counts;

  constructor(db: Db, audit: AuditLog, policy: JobPolicy = DEFAULT_JOB_POLICY) {
    this.#audit = audit;
    this.#policy = policy;
    this.#insert = db.prepare("INSERT OR IGNORE INTO jobs (id, bundle_id, agent_id, tree, state, attempt, queued_at) VALUES (?, ?, ?, ?, 'queued', 1, ?)");
    this.#get = db.prepare<[string], RawJob>(`${JOB_SELECT} WHERE j.id = ?`);
    this.#update = db.prepare('UPDATE jobs SET state = ?, attempt = ?, queued_at = ?, offered_at = ?, started_at = ?, lease_until = ?, lapsed_at = ?, finished_at = ?, status = ?, reason = ? WHERE id = ?');
    this.#byBundle = db.prepare<[string], RawJob>(`${JOB_SELECT} WHERE j.bundle_id = ? ORDER BY p.name, j.tree`);
    this.#due = db.prepare<[number, number, number], RawJob>(`${JOB_SELECT} WHERE j.state IN ('queued', 'offered', 'running') AND (
      (j.lapsed_at IS NOT NULL AND j.lapsed_at <= ?)
      OR (j.lapsed_at IS NULL AND j.state = 'running' AND j.lease_until <= ?)
      OR (j.lapsed_at IS NULL AND j.state <> 'running' AND j.queued_at <= ?))`);
    this.#openOfEmbargo = db.prepare<[number], RawJob>(`${JOB_SELECT} JOIN bundles b ON b.id = j.bundle_id WHERE b.embargo_id = ? AND j.state IN ('queued', 'offered', 'running')`);
    this.#openOfAgent = db.prepare<[number], RawJob>(`${JOB_SELECT} WHERE j.agent_id = ? AND j.state IN ('queued', 'offered', 'running')`);
    this.#holdsOpen = db.prepare<[number, string], { one: number }>("SELECT 1 AS one FROM jobs WHERE agent_id = ? AND state IN ('offered', 'running') AND bundle_id = ? LIMIT 1");
    this.#openInBundle = db.prepare<[string], { count: number }>("SELECT count(*) AS count FROM jobs WHERE state IN ('queued', 'offered', 'running') AND bundle_id = ?");
    this.#expiredLeases = db.prepare<[number], RawJob>(`${JOB_SELECT} WHERE j.state = 'running' AND j.lease_until <= ?`);
    this.#pendingCancels = db.prepare<[number, number], RawJob>(`${JOB_SELECT} WHERE j.state = 'cancelled' AND j.cancel_delivered_at IS NULL AND j.offered_at IS NOT NULL AND (? = 0 OR j.agent_id = ?)`);
    this.#pendingCancelsOf = db.prepare<[string], RawJob>(`${JOB_SELECT} WHERE j.agent_id IN (SELECT value FROM json_each(?)) AND j.state = 'cancelled' AND j.cancel_delivered_at IS NULL AND j.offered_at IS NOT NULL`);
    this.#cancelDelivered = db.prepare('UPDATE jobs SET cancel_delivered_at = ? WHERE id = ?');
    this.#stage = db.prepare('UPDATE jobs SET stage = ? WHERE id = ?');
    this.#counts = db.prepare<[], { state: JobState; count: number }>('SELECT state, count(*) AS count FROM jobs GROUP BY state');
  }

  get policy(): JobPolicy {
    return this.#policy;
  }

  /**
   * Creates the missing jobs of a bundle for each (agent, tree) pair; returns those created. One
   * prepared insert per job in the caller's transaction, and no read-back: the new rows are known.
   */
  create(bundleId: string, { pairs, now }: { pairs: ReadonlyArray<{ agent: Party; tree: string }>; now: number }): Job[] {
    const created: Job[] = [];
    const ids = newJobIds(pairs.length);
    for (const [index, { agent, tree }] of pairs.entries()) {
      const id = ids[index]!;
      if (this.#insert.run(id, bundleId, agent.id, tree, now).changes === 1) created.push(queuedJob({ id, bundleId, agent, tree, now }));
    }
    return created;
  }

  get(jobId: string): Job | null {
    const raw = this.#get.get(jobId);
    return raw ? jobFromRaw(raw) : null;
  }

  require(jobId: string): Job {
    const job = this.get(jobId);
    if (!job) throw new StoreError('JOB_UNKNOWN', `No job with id '${jobId}'`);
    return job;
  }

  /** The job, if it belongs to this agent; JOB_UNKNOWN or JOB_NOT_YOURS otherwise. */
  owned(agent: Party, jobId: string): Job {
    const job = this.require(jobId);
    if (job.agentId !== agent.id) throw new StoreError('JOB_NOT_YOURS', `Job '${jobId}' was not given to '${agent.name}'`);
    return job;
  }

  /** Applies one lifecycle event and writes the result; call inside a write transaction. */
  apply(job: Job, { event, now }: { event: JobEvent; now: number }): Job {
    const next = { ...job, ...transition(job, event, { now, policy: this.#policy }) };
    this.#update.run(next.state, next.attempt, next.queuedAt, next.offeredAt, next.startedAt, next.leaseUntil, next.lapsedAt, next.finishedAt, next.status, next.reason, next.id);
    return next;
  }

  byBundle(bundleId: string): Job[] {
    return this.#byBundle.all(bundleId).map(jobFromRaw);
  }

  /** Whether the agent was offered or runs a job of this bundle (may it pull the payload?). */
  holdsOpenJob(agentId: number, bundleId: string): boolean {
    return this.#holdsOpen.get(agentId, bundleId) !== undefined;
  }

  /** Jobs of the bundle still queued, offered or running: 0 once every job has ended. */
  openCount(bundleId: string): number {
    return this.#openInBundle.get(bundleId)!.count;
  }

  /** Running jobs whose lease ended at or before `now`. */
  expiredLeases(now: number): Job[] {
    return this.#expiredLeases.all(now).map(jobFromRaw);
  }

  /**
   * Applies every time-driven event due at `now` (lapse, loss, queue time-out); returns the jobs
   * moved. The query reads only jobs that may be due (the lifecycle's `dueEvent` still decides),
   * so a sweep under 10,000 open jobs reads none of them until their time comes.
   */
  sweep(now: number): Job[] {
    const moved: Job[] = [];
    const { lostAfterMs, queueTimeoutMs } = this.#policy;
    for (const job of this.#due.all(now - lostAfterMs, now, now - queueTimeoutMs).map(jobFromRaw)) {
      const event = dueEvent(job, { now, policy: this.#policy });
      if (event) moved.push(this.apply(job, { event, now }));
    }
    return moved;
  }

  /** Cancels the open jobs of an embargo or of an agent; call inside the change's transaction. */
  cancelOpen(scope: JobScope, { reason, actor, now }: { reason: string; actor: string; now: number }): Job[] {
    const open = 'embargoId' in scope ? this.#openOfEmbargo.all(scope.embargoId) : this.#openOfAgent.all(scope.agentId);
    return open.map((raw) => {
      const job = this.apply(jobFromRaw(raw), { event: { kind: 'cancel', reason }, now });
      this.#audit.append({ actor, action: 'job.cancelled', subject: job.id, details: { agent: job.agentName, bundle: job.bundleId, attempt: job.attempt, reason } }, now);
      return job;
    });
  }

  /**
   * Cancelled jobs that had been offered to an agent and has not yet been told about (agentId 0: every
   * agent). The server sends each a Cancel and then calls `cancelDelivered`.
   */
  pendingCancels(agentId = 0): CancelNotice[] {
    return this.#pendingCancels.all(agentId, agentId).map(cancelNoticeOf);
  }

  /** `pendingCancels` of several agents by one query. */
  pendingCancelsOf(agentIds: readonly number[]): CancelNotice[] {
    if (agentIds.length === 0) return [];
    return this.#pendingCancelsOf.all(JSON.stringify(agentIds)).map(cancelNoticeOf);
  }

  cancelDelivered(jobId: string, now: number): void {
    this.#cancelDelivered.run(now, jobId);
  }

  /** Records the stage a running job reported (for live watchers); not a state change. */
  setStage(job: Job, stage: string): void {
    this.#stage.run(stage, job.id);
  }

  countsByState(): Record<JobState, number> {
    const counts: Record<JobState, number> = { queued: 0, offered: 0, running: 0, done: 0, lost: 0, cancelled: 0, miss: 0 };
    for (const row of this.#counts.all()) counts[row.state] = row.count;
    return counts;
  }
}
