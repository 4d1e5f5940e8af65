// `darkroom trailers`: a bundle's signed results, each verified against the agent's pinned key,
// turned into Tested-by trailers for the testers whose results passed; and their export to files.
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../proto/darkroom.js';
import { DarkroomError } from '../shared/errors.js';
import { fingerprint } from '../shared/identity.js';
import { ResultError, verifySignedResult, type SignedResultParts } from '../shared/result.js';
import { RESULT_FILE_SUFFIX, resultFileOf } from '../shared/result-file.js';
import { statusFromProto } from '../shared/status.js';
import { WireError } from '../shared/wire/errors.js';
import type { MaintainerConnection } from './connection.js';
import type { AgentPin } from './home.js';

export type TrailersErrorCode = 'RESULT_UNTRUSTED';

export class TrailersError extends DarkroomError<TrailersErrorCode> {}

export interface VerifiedResult {
  parts: SignedResultParts;
  agent: string;
  /** The tester's contact as the agent signed it into the result (never the coordinator's copy). */
  contact: string;
  fingerprint: string;
  boxKey: Uint8Array;
}

export interface BundleResults {
  verified: VerifiedResult[];
  /** Results not counted, one sentence each (unpinned agent, bad signature, another bundle). */
  refused: string[];
}

/**
 * Fetches a bundle's signed results and verifies each against the key pinned for its agent. A
 * pinned agent whose key the coordinator now gives differently stops everything; an unpinned
 * agent's or a bad result is refused and named.
 */
export async function fetchVerifiedResults(connection: MaintainerConnection, options: { bundleId: string; pins: Record<string, AgentPin> }): Promise<BundleResults> {
  const reply = await connection.channel.request({ resultsRequest: { bundleId: options.bundleId } });
  if (!reply.results) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a results request with '${reply.body}'`);
  const agents = new Map((reply.results.agents ?? []).map((agent) => [agent.name ?? '', agent]));
  const outcome: BundleResults = { verified: [], refused: [] };
  for (const signed of reply.results.results ?? []) {
    const claimed = decodeAgentName(signed);
    const known = agents.get(claimed);
    const keys = { signKey: known?.signKey ?? new Uint8Array(), boxKey: known?.boxKey ?? new Uint8Array() };
    const pin = options.pins[claimed];
    if (!known || !pin) {
      outcome.refused.push(`a result of agent '${claimed}', whose key is not pinned in this home: only results of agents this home sealed to are trusted`);
      continue;
    }
    if (pin.fingerprint !== fingerprint(keys)) {
      throw new TrailersError('RESULT_UNTRUSTED', `The coordinator gives agent '${claimed}' the key ${fingerprint(keys)}, but ${pin.fingerprint} is pinned: its results are not trusted; check with the tester`);
    }
    try {
      const parts = verifySignedResult(signed, keys.signKey);
      if (parts.result.bundleId !== options.bundleId) throw new ResultError('RESULT_MISMATCH', `it names bundle ${parts.result.bundleId}`);
      outcome.verified.push({ parts, agent: claimed, contact: parts.result.testerContact, fingerprint: pin.fingerprint, boxKey: keys.boxKey });
    } catch (error) {
      if (!(error instanceof ResultError)) throw error;
      outcome.refused.push(`a result of agent '${claimed}': ${error.message}`);
    }
  }
  return outcome;
}

/** The agent a result claims to be from, to find its key (the signature then decides). */
function decodeAgentName(signed: { result?: Uint8Array | null }): string {
  try {
    return darkroom.v1.Result.decode(signed.result ?? new Uint8Array()).agentName;
  } catch {
    return '(undecodable)';
  }
}

/** The newest attempt of each job. */
export function latestPerJob(results: readonly VerifiedResult[]): VerifiedResult[] {
  const latest = new Map<string, VerifiedResult>();
  for (const result of results) {
    const known = latest.get(result.parts.result.jobId);
    if (!known || result.parts.result.attempt > known.parts.result.attempt) latest.set(result.parts.result.jobId, result);
  }
  return [...latest.values()];
}

export interface Trailer {
  /** `Tested-by: NAME <contact>` */
  testedBy: string;
  /** `Darkroom-Result: RESULT-ID signed-by FINGERPRINT`, one per result. */
  references: string[];
}

/** `NAME <email>` as the agent signed it; a bare address gets the agent's name in front. */
function identityLine(result: VerifiedResult): string {
  const contact = result.contact.trim();
  if (/<[^>]+>/.test(contact)) return contact;
  return contact ? `${result.agent} <${contact}>` : result.agent;
}

/**
 * One trailer per tester (the contact their agent signed; an agent without one stands alone) whose latest
 * results for the bundle all passed, in the order of their names. Pure.
 */
export function trailersOf(results: readonly VerifiedResult[]): Trailer[] {
  const byTester = new Map<string, VerifiedResult[]>();
  for (const result of latestPerJob(results)) {
    const tester = identityLine(result);
    byTester.set(tester, [...(byTester.get(tester) ?? []), result]);
  }
  return [...byTester]
    .filter(([, mine]) => mine.every((result) => statusFromProto(result.parts.result.status) === 'PASS'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tester, mine]) => ({
      testedBy: `Tested-by: ${tester}`,
      references: mine.map((result) => `Darkroom-Result: ${result.parts.resultId} signed-by ${result.fingerprint}`).sort(),
    }));
}

/** Writes each verified result to DIR/RESULT-ID.result.json (0600); returns the paths. */
export async function exportResults(results: readonly VerifiedResult[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths: string[] = [];
  for (const result of results) {
    const path = join(dir, `${result.parts.resultId}${RESULT_FILE_SUFFIX}`);
    const handle = await open(path, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(resultFileOf(result.parts, { contact: result.contact, boxKey: result.boxKey }), null, 2)}\n`);
    } finally {
      await handle.close();
    }
    paths.push(path);
  }
  return paths;
}
