// A result's two halves (docs/protocol.md, "Result details"): the stages the coordinator may read
// (status, duration, base status, case counts) and the details only the bundle's log readers may
// (case names, case base statuses, reasons), sealed inside the signed result.
import { darkroom } from '../proto/darkroom.js';
import { openDetails, sealDetails, type Recipient, type Signer } from './bundle/index.js';
import type { StanzaIdentity } from './bundle/stanza.js';
import { DarkroomError, messageOf } from './errors.js';
import { statusFromProto, type Status } from './status.js';

export type DetailsErrorCode = 'DETAILS_MALFORMED' | 'DETAILS_MISMATCH';

export class DetailsError extends DarkroomError<DetailsErrorCode> {}

type StageInit = darkroom.v1.StageResult.$Properties;
/** CaseCounts with every field present. */
export interface CaseCounts {
  pass: number;
  fail: number;
  error: number;
  miss: number;
  skip: number;
  done: number;
  regressions: number;
  preExisting: number;
  fixed: number;
  newCases: number;
  newCaseFailures: number;
}
export type ResultDetails = darkroom.v1.ResultDetails;

export function zeroCounts(): CaseCounts {
  return { pass: 0, fail: 0, error: 0, miss: 0, skip: 0, done: 0, regressions: 0, preExisting: 0, fixed: 0, newCases: 0, newCaseFailures: 0 };
}

const STATUS_KEY: Record<Status, 'pass' | 'fail' | 'error' | 'miss' | 'skip' | 'done'> = { PASS: 'pass', FAIL: 'fail', ERROR: 'error', MISS: 'miss', SKIP: 'skip', DONE: 'done' };

/**
 * A stage's cases counted by status and, when its base ran (`baseRan`), against the base: each
 * case's base status is a KCIDB word, MISS when the base run had no such case. Pure.
 */
export function countCases(cases: ReadonlyArray<{ status: Status; baseStatus?: string | null }>, baseRan: boolean): CaseCounts {
  const counts = zeroCounts();
  for (const testCase of cases) {
    counts[STATUS_KEY[testCase.status]]++;
    if (!baseRan) continue;
    const base = testCase.baseStatus ?? '';
    if (base === 'MISS') counts.newCases++;
    if (testCase.status === 'FAIL' && base === 'PASS') counts.regressions++;
    if (testCase.status === 'FAIL' && base === 'FAIL') counts.preExisting++;
    if (testCase.status === 'FAIL' && base === 'MISS') counts.newCaseFailures++;
    if (testCase.status === 'PASS' && base === 'FAIL') counts.fixed++;
  }
  return counts;
}

/** The cases of a stage as `countCases` takes them; cases without a status are not counted. */
function casesOf(stage: StageInit): Array<{ status: Status; baseStatus: string }> {
  return (stage.cases ?? []).filter((testCase) => testCase.status).map((testCase) => ({ status: statusFromProto(testCase.status!), baseStatus: testCase.baseStatus ?? '' }));
}

export interface SplitStages {
  /** What the Result carries: no case, no reason; counts instead. */
  stages: StageInit[];
  /** What is sealed: per stage its cases and reason. */
  details: darkroom.v1.StageDetails.$Properties[];
}

/**
 * Splits the pipeline's stages into the signed, readable part and the sealed details. With
 * `keepReason` (a bundle refused before it was opened: no one to seal to) the reasons stay in the
 * stages, since they name only what the coordinator sent.
 */
export function splitStages(stages: readonly StageInit[], options: { keepReason: boolean }): SplitStages {
  return {
    stages: stages.map((stage) => ({
      name: stage.name ?? '', status: stage.status ?? 0, durationMs: stage.durationMs ?? 0,
      ...(options.keepReason && stage.reason ? { reason: stage.reason } : {}),
      ...(stage.baseStatus ? { baseStatus: stage.baseStatus, baseCached: stage.baseCached ?? false } : {}),
      counts: countCases(casesOf(stage), Boolean(stage.baseStatus)),
    })),
    details: stages.map((stage) => ({ name: stage.name ?? '', cases: stage.cases ?? [], reason: stage.reason ?? '' })),
  };
}

export interface SealResultDetailsInput {
  embargo: string;
  signer: Signer;
  jobId: string;
  attempt: number;
  recipients: Recipient[];
  details: darkroom.v1.StageDetails.$Properties[];
}

/** Encodes and seals the details of one attempt of a job to the bundle's log readers. */
export function sealResultDetails(input: SealResultDetailsInput): Uint8Array {
  const payload = darkroom.v1.ResultDetails.encode({ jobId: input.jobId, attempt: input.attempt, stages: input.details }).finish();
  return sealDetails({ embargo: input.embargo, signer: input.signer, jobId: input.jobId, recipients: input.recipients, payload });
}

/**
 * Opens the sealed details of a result whose signature was verified: the envelope must be signed
 * by the result's own agent key and name the result's job and attempt. Throws BundleError when
 * the envelope is refused (NOT_FOR_ME when it was not sealed to `identity`), DetailsError when
 * its contents do not belong to the result.
 */
export async function openResultDetails(result: darkroom.v1.Result, identity: StanzaIdentity): Promise<ResultDetails> {
  const opened = await openDetails(result.sealedDetails, {
    identity,
    trust: (parsed) => Buffer.from(parsed.signerKey).equals(Buffer.from(result.agentSignKey)) && parsed.header.subjectId === result.jobId,
  });
  let details: ResultDetails;
  try {
    details = darkroom.v1.ResultDetails.decode(opened.payload);
  } catch (cause) {
    throw new DetailsError('DETAILS_MALFORMED', `The details of result for job ${result.jobId} do not decode (${messageOf(cause)}): the agent's software is broken; ask the tester to update it`, { cause });
  }
  if (details.jobId !== result.jobId || details.attempt !== result.attempt) {
    throw new DetailsError('DETAILS_MISMATCH', `The details sealed in the result for job ${result.jobId} attempt ${result.attempt} name job ${details.jobId} attempt ${details.attempt}: they are not this result's and are not shown`);
  }
  return details;
}

/** The result's stages with the cases and reasons of its opened details put back. Pure. */
export function detailedStages(result: darkroom.v1.Result, details: ResultDetails | null): darkroom.v1.StageResult.$Properties[] {
  const byName = new Map((details?.stages ?? []).map((stage) => [stage.name, stage]));
  return result.stages.map((stage) => {
    const detail = byName.get(stage.name);
    if (!detail) return stage;
    return darkroom.v1.StageResult.create({ ...stage, cases: detail.cases, reason: detail.reason || stage.reason });
  });
}
