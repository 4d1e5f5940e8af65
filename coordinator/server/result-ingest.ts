// A result from an agent: signature by its enrolled key, bound to this job, bundle and agent,
// stored durably, and only then acknowledged. A resent result is acknowledged again, counted once.
import type { darkroom } from '../../proto/darkroom.js';
import { checkResultBinding, verifySignedResult } from '../../shared/result.js';
import { statusFromProto } from '../../shared/status.js';
import type { Party } from '../store/parties.js';
import type { Store } from '../store/store.js';
import type { IngestResult } from '../store/results.js';

/** What is kept per stage for reports: names, verdicts and case verdicts, never log text. */
function stageSummary(result: darkroom.v1.Result) {
  return result.stages.map((s) => ({
    name: s.name ?? '',
    status: statusFromProto(s.status ?? 0),
    durationMs: Number(s.durationMs ?? 0),
    cases: (s.cases ?? []).map((c) => ({ name: c.name ?? '', status: statusFromProto(c.status ?? 0) })),
  }));
}

/** Verifies and stores one submitted result; throws a ResultError or StoreError on refusal. */
export function ingestResult(store: Store, agent: Party, signed: darkroom.v1.ISignedResult, now: number): IngestResult & { result: darkroom.v1.Result } {
  const parts = verifySignedResult(signed, agent.signKey);
  const { result } = parts;
  const job = store.jobs.owned(agent, result.jobId);
  checkResultBinding(result, { jobId: job.id, attempt: result.attempt, bundleId: job.bundleId, agentName: agent.name });
  const outcome = store.results.ingest({
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
