// Signed results: stored once per (job, attempt), with the sealed logs; ingest moves the job on.
import type { Status } from '../../shared/status.js';
import { LifecycleError } from '../jobs/lifecycle.js';
import type { AuditLog } from './audit.js';
import type { Json } from './canonical.js';
import { inWrite, type Db } from './database.js';
import type { Job, Jobs } from './jobs.js';
import type { Party } from './parties.js';

export interface ResultIngest {
  /** The agent whose enrolled key verified the signature (the server checks before calling). */
  agent: Party;
  jobId: string;
  attempt: number;
  resultId: string;
  /** SignedResult bytes, exactly as received. */
  signed: Uint8Array;
  /** The result's rolled-up status. */
  status: Status;
  /** Per-stage summary for reports (names, statuses, case counts): no log text. */
  stages: Json;
  sealedLogs?: Uint8Array | null;
}

/** accepted: stored and counted; duplicate: already stored (ack again); stale: the job no longer takes it. */
export type IngestOutcome = 'accepted' | 'duplicate' | 'stale';

export interface IngestResult {
  outcome: IngestOutcome;
  /** The result id stored for this (job, attempt): on a duplicate, the first one's. */
  resultId: string;
  job: Job;
}

export interface StoredResult {
  jobId: string;
  attempt: number;
  resultId: string;
  signed: Uint8Array;
  status: Status;
  stages: Json;
  sealedLogs: Uint8Array | null;
  receivedAt: number;
}

interface RawResult {
  job_id: string;
  attempt: number;
  result_id: string;
  signed: Buffer;
  status: Status;
  stages_json: string;
  sealed_logs: Buffer | null;
  received_at: number;
}

const fromRaw = (raw: RawResult): StoredResult => ({
  jobId: raw.job_id,
  attempt: raw.attempt,
  resultId: raw.result_id,
  signed: new Uint8Array(raw.signed),
  status: raw.status,
  stages: JSON.parse(raw.stages_json) as Json,
  sealedLogs: raw.sealed_logs ? new Uint8Array(raw.sealed_logs) : null,
  receivedAt: raw.received_at,
});

export class Results {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #jobs: Jobs;
  readonly #insert;
  readonly #existing;
  readonly #forJob;
  readonly #byBundle;
  readonly #counts;
  readonly #count;

  constructor(db: Db, audit: AuditLog, jobs: Jobs) {
    this.#db = db;
    this.#audit = audit;
    this.#jobs = jobs;
    this.#insert = db.prepare('INSERT INTO results (job_id, attempt, result_id, signed, status, stages_json, sealed_logs, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.#existing = db.prepare<[string, number], { result_id: string }>('SELECT result_id FROM results WHERE job_id = ? AND attempt = ?');
    this.#forJob = db.prepare<[string], RawResult>('SELECT * FROM results WHERE job_id = ? ORDER BY attempt');
    this.#byBundle = db.prepare<[string], RawResult>('SELECT r.* FROM results r JOIN jobs j ON j.id = r.job_id WHERE j.bundle_id = ? ORDER BY r.job_id, r.attempt');
    this.#counts = db.prepare<[], { status: Status; count: number }>('SELECT status, count(*) AS count FROM results GROUP BY status');
    this.#count = db.prepare<[], number>('SELECT count(*) FROM results').pluck();
  }

  /** Stores one result and moves its job on, in one transaction; resent results are counted once. */
  ingest(result: ResultIngest, now: number): IngestResult {
    return inWrite(this.#db, () => this.record(this.#jobs.owned(result.agent, result.jobId), result, now));
  }

  /** Several results in one transaction (one fsync). */
  ingestBatch(results: readonly ResultIngest[], now: number): IngestResult[] {
    return inWrite(this.#db, () => results.map((result) => this.record(this.#jobs.owned(result.agent, result.jobId), result, now)));
  }

  /**
   * `ingest` for a caller that already holds the job, read in this same write transaction (the
   * server's group commit, which gives every message its own savepoint): no savepoint of its
   * own and no second read of the job. Whether the result was stored before is asked only when
   * the lifecycle refuses it; the (job, attempt) key refuses a second row in any case.
   */
  record(job: Job, result: ResultIngest, now: number): IngestResult {
    let next: Job;
    try {
      next = this.#jobs.apply(job, { event: { kind: 'result', attempt: result.attempt, status: result.status }, now });
    } catch (error) {
      if (!(error instanceof LifecycleError)) throw error;
      const existing = this.#existing.get(result.jobId, result.attempt);
      return existing ? { outcome: 'duplicate', resultId: existing.result_id, job } : { outcome: 'stale', resultId: result.resultId, job };
    }
    this.#insert.run(result.jobId, result.attempt, result.resultId, result.signed, result.status, JSON.stringify(result.stages), result.sealedLogs ?? null, now);
    this.#audit.append({ actor: result.agent.name, action: 'result.accepted', subject: result.jobId, details: { attempt: result.attempt, result_id: result.resultId, status: result.status, bundle: job.bundleId, retried: next.attempt > job.attempt } }, now);
    return { outcome: 'accepted', resultId: result.resultId, job: next };
  }

  /** Stored results, every attempt. */
  count(): number {
    return this.#count.get()!;
  }

  /** Stored results by rolled-up status (every attempt counts). */
  countsByStatus(): Partial<Record<Status, number>> {
    return Object.fromEntries(this.#counts.all().map((row) => [row.status, row.count]));
  }

  forJob(jobId: string): StoredResult[] {
    return this.#forJob.all(jobId).map(fromRaw);
  }

  /** Every stored result of a bundle's jobs, every attempt, for reports, logs and export. */
  byBundle(bundleId: string): StoredResult[] {
    return this.#byBundle.all(bundleId).map(fromRaw);
  }
}
