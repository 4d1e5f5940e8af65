// An exported signed result (docs/quality-bar.md): the SignedResult bytes with the agent's box key,
// so anyone holding the agent's fingerprint can check it offline, without the coordinator.
import { darkroom } from '../proto/darkroom.js';
import { DarkroomError, messageOf } from './errors.js';
import { fingerprint, normalizeFingerprint } from './identity.js';
import { verifySignedResultBytes, type SignedResultParts } from './result.js';

export const RESULT_FILE_FORMAT = 'darkroom.result.v1';
/** The file name an exported result gets: its id, then this. */
export const RESULT_FILE_SUFFIX = '.result.json';
/** Largest file `verify` reads: a result fits one 4 MiB frame, base64 makes it 4/3 larger. */
export const MAX_RESULT_FILE_BYTES = 8 * 1024 * 1024;

export type ResultFileErrorCode = 'RESULT_FILE_MALFORMED' | 'RESULT_KEY_UNKNOWN' | 'RESULT_KEY_MISMATCH' | 'RESULT_ID_MISMATCH';

export class ResultFileError extends DarkroomError<ResultFileErrorCode> {}

export interface ResultFile {
  format: typeof RESULT_FILE_FORMAT;
  resultId: string;
  agent: string;
  /** The tester's contact; the signed copy is the result's tester_contact. */
  contact: string;
  fingerprint: string;
  /** base64 of the agent's X25519 key: with the signing key in the result, it gives the fingerprint. */
  agentBoxKey: string;
  /** base64 of the SignedResult bytes, exactly as the agent signed them. */
  signedResult: string;
}

/** The export of a verified result. */
export function resultFileOf(parts: SignedResultParts, agent: { contact: string; boxKey: Uint8Array }): ResultFile {
  const keys = { signKey: parts.result.agentSignKey, boxKey: agent.boxKey };
  return {
    format: RESULT_FILE_FORMAT,
    resultId: parts.resultId,
    agent: parts.result.agentName,
    contact: agent.contact,
    fingerprint: fingerprint(keys),
    agentBoxKey: Buffer.from(agent.boxKey).toString('base64'),
    signedResult: Buffer.from(parts.bytes).toString('base64'),
  };
}

export interface VerifiedResultFile {
  parts: SignedResultParts;
  fingerprint: string;
}

export interface ResultFileTrust {
  /** What the file is called in messages. */
  source?: string;
  /** The agent's fingerprint as the person checking knows it; wins over `pins`. */
  fingerprint?: string;
  /** Agent fingerprints pinned by name (the maintainer's home). */
  pins: Readonly<Record<string, { fingerprint: string }>>;
}

function parseFile(text: string, source: string): ResultFile {
  let file: Partial<ResultFile>;
  try {
    file = JSON.parse(text) as Partial<ResultFile>;
  } catch (cause) {
    throw new ResultFileError('RESULT_FILE_MALFORMED', `${source} is not JSON (${messageOf(cause)}): pass a file 'darkroom trailers --export' wrote`, { cause });
  }
  if (file.format !== RESULT_FILE_FORMAT || typeof file.signedResult !== 'string' || typeof file.agentBoxKey !== 'string' || typeof file.resultId !== 'string') {
    throw new ResultFileError('RESULT_FILE_MALFORMED', `${source} is not a ${RESULT_FILE_FORMAT} file (format, resultId, agentBoxKey and signedResult are required): pass a file 'darkroom trailers --export' wrote`);
  }
  return file as ResultFile;
}

/**
 * Checks an exported result offline: the fingerprint of its signing key and box key must be the
 * trusted one (given, or pinned for the agent it names), its signature must verify, and its id
 * must be the one its bytes give. Throws ResultFileError or ResultError saying which failed.
 */
export function verifyResultFile(text: string, trust: ResultFileTrust): VerifiedResultFile {
  const source = trust.source ?? 'the result file';
  const file = parseFile(text, source);
  const bytes = Buffer.from(file.signedResult, 'base64');
  const boxKey = Buffer.from(file.agentBoxKey, 'base64');
  let result: darkroom.v1.Result;
  try {
    result = darkroom.v1.Result.decode(darkroom.v1.SignedResult.decode(bytes).result);
  } catch (cause) {
    throw new ResultFileError('RESULT_FILE_MALFORMED', `The signed result in ${source} does not decode (${messageOf(cause)}): the file was damaged or altered`, { cause });
  }
  const actual = fingerprint({ signKey: result.agentSignKey, boxKey });
  const pinned = trust.fingerprint ?? trust.pins[result.agentName]?.fingerprint;
  if (!pinned) throw new ResultFileError('RESULT_KEY_UNKNOWN', `No key is pinned for agent '${result.agentName}' and no --fingerprint was given: ask the tester for the agent's fingerprint and pass --fingerprint FP`);
  const expected = normalizeFingerprint(pinned);
  if (actual !== expected) throw new ResultFileError('RESULT_KEY_MISMATCH', `The result in ${source} is signed by key ${actual}, not agent '${result.agentName}''s ${expected}: it is not that agent's result`);
  const parts = verifySignedResultBytes(bytes, result.agentSignKey);
  if (parts.resultId !== file.resultId) throw new ResultFileError('RESULT_ID_MISMATCH', `${source} names result ${file.resultId}, but its bytes are result ${parts.resultId}: the file was altered`);
  return { parts, fingerprint: actual };
}
