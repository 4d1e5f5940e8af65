// The sealed details of a bundle's results (case names, case base statuses, reasons), opened here
// with the home's key: the one place the maintainer client reads them, for report, trailers and
// every other reader of results.
import type { darkroom } from '../proto/darkroom.js';
import { BundleError } from '../shared/bundle/index.js';
import type { Identity } from '../shared/identity.js';
import { DetailsError, detailedStages, openResultDetails } from '../shared/result-details.js';
import type { MaintainerConnection } from './connection.js';
import type { AgentPin } from './home.js';
import { fetchVerifiedResults, type VerifiedResult } from './trailers.js';

export interface OpenedResult {
  verified: VerifiedResult;
  /** The signed stages with their cases and reasons put back; the signed stages alone when `problem` is set. */
  stages: darkroom.v1.StageResult.$Properties[];
  /** Why the details are not shown (none sealed, not sealed to this home, altered); null when opened. */
  problem: string | null;
}

export interface BundleDetails {
  /** Every verified result of the bundle, every attempt, with its details opened where possible. */
  results: OpenedResult[];
  /** Results not counted, one sentence each (unpinned agent, bad signature, another bundle). */
  refused: string[];
}

/** Opens the details of one verified result with the home's box key. */
export async function openResult(verified: VerifiedResult, identity: Pick<Identity, 'boxKey' | 'boxSecret'>): Promise<OpenedResult> {
  const { result } = verified.parts;
  if (result.sealedDetails.length === 0) return { verified, stages: detailedStages(result, null), problem: 'the result carries no sealed details (the agent refused the bundle before opening it)' };
  try {
    return { verified, stages: detailedStages(result, await openResultDetails(result, identity)), problem: null };
  } catch (error) {
    if (!(error instanceof BundleError || error instanceof DetailsError)) throw error;
    const why = error instanceof BundleError && error.code === 'NOT_FOR_ME' ? 'they were not sealed to this home\'s key' : error.message;
    return { verified, stages: detailedStages(result, null), problem: `the details of ${verified.agent}'s result ${verified.parts.resultId} cannot be opened: ${why}` };
  }
}

/**
 * A bundle's verified results with their sealed details opened: case names and reasons exactly as
 * the agent signed them, read only here.
 */
export async function fetchResultDetails(connection: MaintainerConnection, options: { bundleId: string; pins: Record<string, AgentPin> }): Promise<BundleDetails> {
  const fetched = await fetchVerifiedResults(connection, options);
  const results: OpenedResult[] = [];
  for (const verified of fetched.verified) results.push(await openResult(verified, connection.identity));
  return { results, refused: fetched.refused };
}

/** The opened result of one attempt of a job, if it was fetched and verified. */
export function resultOf(details: BundleDetails, jobId: string, attempt: number): OpenedResult | undefined {
  return details.results.find((opened) => opened.verified.parts.result.jobId === jobId && opened.verified.parts.result.attempt === attempt);
}
