// A result from an agent: signature by its enrolled key, bound to this job, bundle and agent,
// stored durably, and only then acknowledged. A resent result is acknowledged again, counted once.
// Verifying needs no database, so it runs before the write; storing runs inside a (group) write.
import { darkroom } from '../../proto/darkroom.js';
import { checkResultBinding, type SignedResultParts } from '../../shared/result.js';
import { statusFromProto } from '../../shared/status.js';
import type { Json } from '../store/canonical.js';
import type { Party } from '../store/parties.js';
import type { Store } from '../store/store.js';
import type { IngestResult } from '../store/results.js';

/** What is kept per stage for reports: names, verdicts and the signed case counts, never a case name or log text. */
function stageSummary(result: darkroom.v1.Result) {
  return result.stages.map((s) => ({
    name: s.name ?? '',
    status: statusFromProto(s.status ?? 0),
    durationMs: Number(s.durationMs ?? 0),
    counts: darkroom.v1.CaseCounts.toObject(darkroom.v1.CaseCounts.create(s.counts ?? {}), { defaults: true }) as Json,
  }));
}

/**
 * Stores a result verified with `verifySignedResult` against the agent's key; throws a
 * ResultError or StoreError on refusal. Call inside a write whose savepoint undoes it on a throw
 * (the group commit gives each message one): the job is read once, here.
 */
export function storeResult(store: Store, agent: Party, parts: SignedResultParts, now: number): IngestResult & { result: darkroom.v1.Result } {
  const { result } = parts;
  const job = store.jobs.owned(agent, result.jobId);
  checkResultBinding(result, { jobId: job.id, attempt: result.attempt, bundleId: job.bundleId, agentName: agent.name });
  const outcome = store.results.record(job, {
    agent,
    jobId: job.id,
    attempt: result.attempt,
    resultId: parts.resultId,
    signed: parts.bytes,
    status: statusFromProto(result.status),
    stages: stageSummary(result),
    sealedLogs: result.sealedLogs.length > 0 ? result.sealedLogs : null,
  }, now);
  return { ...outcome, result };
}
