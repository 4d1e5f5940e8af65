// Signed results: what an agent signs, how anyone verifies it, and what binds it to its job.
import { darkroom } from '../proto/darkroom.js';
import { hashLabelled, signLabelled, verifyLabelled, type Nacl, nacl as defaultNacl } from './crypto/index.js';
import { DarkroomError, messageOf } from './errors.js';
import type { Identity } from './identity.js';

export const RESULT_FORMAT = 1;

export type ResultErrorCode = 'RESULT_MALFORMED' | 'RESULT_SIGNATURE' | 'RESULT_MISMATCH';

export class ResultError extends DarkroomError<ResultErrorCode> {}

export type Result = darkroom.v1.Result;
export type ResultInit = darkroom.v1.Result.$Properties;

export interface SignedResultParts {
  /** SignedResult bytes, as stored, sent and exported. */
  bytes: Uint8Array;
  resultId: string;
  result: Result;
}

/** The id of a result: hex of the first 16 bytes of SHA-512("result-id" ‖ result bytes). */
export function resultId(resultBytes: Uint8Array, nacl: Nacl = defaultNacl): string {
  return Buffer.from(hashLabelled(nacl, 'result-id', resultBytes).subarray(0, 16)).toString('hex');
}

/** Encodes and signs a result with the agent's identity. */
export function signResult(init: ResultInit, identity: Identity, nacl: Nacl = defaultNacl): SignedResultParts {
  const resultBytes = darkroom.v1.Result.encode({ ...init, version: RESULT_FORMAT, agentSignKey: identity.signKey }).finish();
  const signature = signLabelled(nacl, 'result', resultBytes, identity.signSecret);
  const bytes = darkroom.v1.SignedResult.encode({ result: resultBytes, signature }).finish();
  return { bytes, resultId: resultId(resultBytes, nacl), result: darkroom.v1.Result.decode(resultBytes) };
}

/**
 * Verifies a signed result against the key it must come from. `expectedKey` is the enrolled key
 * of the agent the job was given to (the coordinator), or the key pinned by a maintainer
 * (`darkroom verify`). A result signed by any other key is refused, even if its signature holds.
 */
export function verifySignedResult(signed: darkroom.v1.SignedResult.$Properties, expectedKey: Uint8Array, nacl: Nacl = defaultNacl): SignedResultParts {
  const resultBytes = signed.result;
  const signature = signed.signature;
  if (!resultBytes?.length || !signature?.length) throw new ResultError('RESULT_MALFORMED', 'Signed result lacks its result or its signature');
  let result: Result;
  try {
    result = darkroom.v1.Result.decode(resultBytes);
  } catch (cause) {
    throw new ResultError('RESULT_MALFORMED', `Result does not decode: ${messageOf(cause)}`, { cause });
  }
  if (!Buffer.from(result.agentSignKey).equals(Buffer.from(expectedKey))) {
    throw new ResultError('RESULT_SIGNATURE', `Result claims agent key ${Buffer.from(result.agentSignKey).toString('hex').slice(0, 16)}…, not the key of the agent that ran the job`);
  }
  if (!verifyLabelled(nacl, 'result', resultBytes, signature, expectedKey)) {
    throw new ResultError('RESULT_SIGNATURE', `Signature on result for job ${result.jobId} does not verify against agent ${result.agentName}'s key: it was altered or signed by another key`);
  }
  const bytes = darkroom.v1.SignedResult.encode({ result: resultBytes, signature }).finish();
  return { bytes, resultId: resultId(resultBytes, nacl), result };
}

/** Decodes SignedResult bytes (as stored or exported) and verifies them. */
export function verifySignedResultBytes(bytes: Uint8Array, expectedKey: Uint8Array, nacl: Nacl = defaultNacl): SignedResultParts {
  let signed: darkroom.v1.SignedResult;
  try {
    signed = darkroom.v1.SignedResult.decode(bytes);
  } catch (cause) {
    throw new ResultError('RESULT_MALFORMED', `Signed result file does not decode: ${messageOf(cause)}`, { cause });
  }
  return verifySignedResult(signed, expectedKey, nacl);
}

export interface ResultBinding {
  jobId: string;
  attempt: number;
  bundleId: string;
  agentName: string;
}

/** Refuses a result that names another job, attempt, bundle or agent than the one it answers. */
export function checkResultBinding(result: Result, expected: ResultBinding): void {
  const mismatches: string[] = [];
  if (result.jobId !== expected.jobId) mismatches.push(`job ${result.jobId} (expected ${expected.jobId})`);
  if (result.attempt !== expected.attempt) mismatches.push(`attempt ${result.attempt} (expected ${expected.attempt})`);
  if (result.bundleId !== expected.bundleId) mismatches.push(`bundle ${result.bundleId} (expected ${expected.bundleId})`);
  if (result.agentName !== expected.agentName) mismatches.push(`agent ${result.agentName} (expected ${expected.agentName})`);
  if (mismatches.length) throw new ResultError('RESULT_MISMATCH', `Result names ${mismatches.join(', ')}: it belongs to another job and is not counted`);
}
