// The agent side of jobs: what to offer on connect, accept, decline, heartbeats, progress, sweeps.
import type { AuditLog, AuditRow } from './audit.js';
import type { Json } from './canonical.js';
import { inWrite, type Db } from './database.js';
import { StoreError } from './errors.js';
import { jobFromRaw, type Job, type Jobs, type RawJob } from './jobs.js';
import type { Party } from './parties.js';

/** Everything a JobOffer carries. */
export interface Offer {
  jobId: string;
  bundleId: string;
  embargo: string;
  tree: string;
  attempt: number;
  header: Uint8Array;
  stanza: Uint8Array;
  payloadBytes: number;
  deadlineMs: number;
  workloads: string[];
}

/** An offered job's row: the job, its agent's name and the stanza sealed to that agent. */
interface RawOffer extends RawJob {
  stanza: Buffer;
}

/** What every offer of one bundle shares, read once per bundle rather than once per job. */
interface BundleTerms {
  header: Uint8Array;
  payloadBytes: number;
  workloads: string[];
  embargo: string;
  deadlineMs: number;
}

interface RawTerms {
  id: string;
  header: Buffer;
  payload_bytes: number;
  workloads_json: string;
  embargo: string;
  until_ms: number;
}

const OFFER_COLUMNS = 'j.*, p.name AS agent_name, s.stanza';
const OFFER_JOINS = `
  JOIN parties p ON p.id = j.agent_id
  JOIN bundles b ON b.id = j.bundle_id
  JOIN embargoes e ON e.id = b.embargo_id
  JOIN stanzas s ON s.bundle_id = j.bundle_id AND s.party_id = j.agent_id`;
const OFFERABLE = 'b.complete = 1 AND e.withdrawn_at IS NULL AND e.expired_at IS NULL AND e.until_ms > ?';

/**
 * Queued jobs to offer to several agents at once: each agent (the JSON array of [agent id, its
 * concurrency]) gets its oldest queued jobs, up to its concurrency less the jobs it already holds.
 * The agents' room is materialised first and drives the join (CROSS JOIN keeps that order), so
 * the query walks each agent's queued jobs by index rather than every queued job once per agent.
 */
const NEXT_OFFERS = `
  WITH room AS MATERIALIZED (
    SELECT value ->> '$[0]' AS agent_id,
      (value ->> '$[1]') - (SELECT count(*) FROM jobs h WHERE h.agent_id = value ->> '$[0]' AND h.state IN ('offered', 'running')) AS room
    FROM json_each(?)
  ), ranked AS (
    SELECT ${OFFER_COLUMNS}, r.room, row_number() OVER (PARTITION BY j.agent_id ORDER BY j.queued_at, j.id) AS rank
    FROM room r CROSS JOIN jobs j ON j.agent_id = r.agent_id AND j.state = 'queued' ${OFFER_JOINS}
    WHERE r.room > 0 AND ${OFFERABLE}
  )
  SELECT * FROM ranked WHERE rank <= room ORDER BY agent_id, rank`;

/** Offered, unanswered jobs of several agents (a JSON array of agent ids). */
const PENDING_OFFERS = `
  SELECT ${OFFER_COLUMNS} FROM jobs j ${OFFER_JOINS}
  WHERE j.agent_id IN (SELECT value FROM json_each(?)) AND j.state = 'offered' AND ${OFFERABLE}
  ORDER BY j.agent_id, j.offered_at, j.id`;

/** The terms of the bundles of these rows, each bundle's once (its header copied once, not once per job). */
const TERMS = `
  SELECT b.id, b.header, b.payload_bytes, b.workloads_json, e.name AS embargo, e.until_ms
  FROM bundles b JOIN embargoes e ON e.id = b.embargo_id WHERE b.id IN (SELECT value FROM json_each(?))`;

const offerOf = (raw: RawOffer, terms: BundleTerms): Offer => ({
  jobId: raw.id,
  bundleId: raw.bundle_id,
  embargo: terms.embargo,
  tree: raw.tree,
  attempt: raw.attempt,
  header: terms.header,
  stanza: new Uint8Array(raw.stanza),
  payloadBytes: terms.payloadBytes,
  deadlineMs: terms.deadlineMs,
  workloads: terms.workloads,
});

/** The job ids a 'jobs.offered' audit row records as offered (none for any other row). */
export function jobsOfferedIn(row: Pick<AuditRow, 'action' | 'detailsJson'>): string[] {
  if (row.action !== 'jobs.offered') return [];
  return (JSON.parse(row.detailsJson) as { offers: Array<{ job: string }> }).offers.map((offer) => offer.job);
}

export class Dispatch {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #jobs: Jobs;
  readonly #next;
  readonly #pending;
  readonly #terms;

  constructor(db: Db, audit: AuditLog, jobs: Jobs) {
    this.#db = db;
    this.#audit = audit;
    this.#jobs = jobs;
    this.#next = db.prepare<[string, number], RawOffer>(NEXT_OFFERS);
    this.#pending = db.prepare<[string, number], RawOffer>(PENDING_OFFERS);
    this.#terms = db.prepare<[string], RawTerms>(TERMS);
  }

  /** The terms of every bundle these rows belong to, by bundle id (one query). */
  #termsOf(rows: readonly RawOffer[]): Map<string, BundleTerms> {
    const ids = [...new Set(rows.map((raw) => raw.bundle_id))];
    if (ids.length === 0) return new Map();
    return new Map(this.#terms.all(JSON.stringify(ids)).map((raw) => [raw.id, {
      header: new Uint8Array(raw.header),
      payloadBytes: raw.payload_bytes,
      workloads: JSON.parse(raw.workloads_json) as string[],
      embargo: raw.embargo,
      deadlineMs: raw.until_ms,
    }]));
  }

  /**
   * Offers queued jobs to a connected agent, up to its declared concurrency less the jobs it
   * already holds; the offers are recorded in the audit log. Revoked agents get nothing.
   */
  offerNext(agent: Party, now: number): Offer[] {
    return this.offerNextMany([agent], now).get(agent.id) ?? [];
  }

  /**
   * `offerNext` for several agents in one transaction, set-wise: one query picks every agent's
   * jobs, one prepared update per job moves it to offered, and one audit row per bundle names
   * every job offered and the agent it went to (who was given which bundle, when), rather than
   * one row per offer: a bundle fanned out to 1,000 agents costs one hash-chained row, not 1,000.
   */
  offerNextMany(agents: readonly Party[], now: number): Map<number, Offer[]> {
    const eligible = agents.filter((agent) => agent.revokedAt === null && agent.declaration !== null);
    if (eligible.length === 0) return new Map();
    return inWrite(this.#db, () => {
      const byAgent = new Map<number, Offer[]>();
      const byBundle = new Map<string, Json[]>();
      const rows = this.#next.all(JSON.stringify(eligible.map((agent) => [agent.id, agent.declaration!.concurrency])), now);
      const terms = this.#termsOf(rows);
      for (const raw of rows) {
        const job = this.#jobs.apply(jobFromRaw(raw), { event: { kind: 'offer' }, now });
        const audited = byBundle.get(job.bundleId) ?? [];
        audited.push({ job: job.id, agent: job.agentName, tree: job.tree, attempt: job.attempt });
        byBundle.set(job.bundleId, audited);
        const offers = byAgent.get(job.agentId) ?? [];
        offers.push(offerOf(raw, terms.get(raw.bundle_id)!));
        byAgent.set(job.agentId, offers);
      }
      for (const [bundle, offers] of byBundle) this.#audit.append({ actor: 'coordinator', action: 'jobs.offered', subject: bundle, details: { offers } }, now);
      return byAgent;
    });
  }

  /** Jobs offered to this agent and not yet answered: sent again when it reconnects. */
  pendingOffers(agent: Party, now: number): Offer[] {
    return this.pendingOffersMany([agent], now).get(agent.id) ?? [];
  }

  /** `pendingOffers` of several agents by one query, by agent id. */
  pendingOffersMany(agents: readonly Party[], now: number): Map<number, Offer[]> {
    const byAgent = new Map<number, Offer[]>();
    const active = agents.filter((agent) => agent.revokedAt === null);
    if (active.length === 0) return byAgent;
    const rows = this.#pending.all(JSON.stringify(active.map((agent) => agent.id)), now);
    const terms = this.#termsOf(rows);
    for (const raw of rows) {
      const offers = byAgent.get(raw.agent_id) ?? [];
      offers.push(offerOf(raw, terms.get(raw.bundle_id)!));
      byAgent.set(raw.agent_id, offers);
    }
    return byAgent;
  }

  accept(agent: Party, { jobId, attempt, now }: { jobId: string; attempt: number; now: number }): Job {
    return inWrite(this.#db, () => this.#jobs.apply(this.#jobs.owned(agent, jobId), { event: { kind: 'accept', attempt }, now }));
  }

  decline(agent: Party, { jobId, attempt, reason, now }: { jobId: string; attempt: number; reason: string; now: number }): Job {
    return inWrite(this.#db, () => this.#jobs.apply(this.#jobs.owned(agent, jobId), { event: { kind: 'decline', attempt, reason }, now }));
  }

  /** Renews the leases of the listed jobs this agent is running; ignores any others. Returns the renewed. */
  heartbeat(agent: Party, { runningJobIds, now }: { runningJobIds: readonly string[]; now: number }): Job[] {
    return inWrite(this.#db, () => {
      const renewed: Job[] = [];
      for (const id of runningJobIds) {
        const job = this.#jobs.get(id);
        if (job && job.agentId === agent.id && job.state === 'running') renewed.push(this.#jobs.apply(job, { event: { kind: 'heartbeat' }, now }));
      }
      return renewed;
    });
  }

  /** Records a stage event of a job this agent runs; a progress report also renews its lease. */
  progress(agent: Party, update: { jobId: string; attempt: number; stage: string; now: number }): Job {
    return inWrite(this.#db, () => {
      const job = this.#jobs.owned(agent, update.jobId);
      if (job.attempt !== update.attempt || job.state !== 'running') {
        throw new StoreError('JOB_UNKNOWN', `Job '${update.jobId}' attempt ${update.attempt} is not running (state ${job.state}, attempt ${job.attempt})`);
      }
      this.#jobs.setStage(job, update.stage);
      return { ...this.#jobs.apply(job, { event: { kind: 'heartbeat' }, now: update.now }), stage: update.stage };
    });
  }

  /** Applies lease lapses, losses and queue time-outs due at `now`; the server calls it on a timer. */
  sweep(now: number): Job[] {
    return inWrite(this.#db, () => this.#jobs.sweep(now));
  }
}
