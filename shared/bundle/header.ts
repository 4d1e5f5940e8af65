// The signed header of an envelope: building, signing, strict reading and the rules of its fields.
import { darkroom } from '../../proto/darkroom.js';
import { BOX_PUBLIC_BYTES, SIGNATURE_BYTES, SIGN_PUBLIC_BYTES, nacl, signLabelled, verifyLabelled, type Nacl } from '../crypto/index.js';
import { decodeCanonical } from './canonical.js';
import { BundleError } from './errors.js';
import { bundleIdOf, envelopeIdOf } from './keys.js';
import {
  CHUNK_SIZE, FORMAT_VERSION, KEY_COMMITMENT_BYTES, MAX_BUNDLE_PAYLOAD_BYTES, MAX_DETAILS_PAYLOAD_BYTES, MAX_LOG_PAYLOAD_BYTES, MAX_LOG_RECIPIENTS,
  MAX_PATCHES_PER_TARGET, MAX_SIGNED_HEADER_BYTES, MAX_TARGETS, MAX_WORKLOADS, SALT_BYTES, isName, isRevision, isText,
} from './limits.js';

export type Header = darkroom.v1.Header;
export type HeaderInit = darkroom.v1.Header.$Properties;
export const SealedKind = darkroom.v1.SealedKind;

/** A header whose signature and encoding were checked; whether its signer is trusted is not. */
export interface ParsedHeader {
  header: Header;
  /** The exact `Header` bytes that were signed and that the envelope id is derived from. */
  headerBytes: Uint8Array;
  /** The `SignedHeader` bytes, as stored and sent. */
  signedHeaderBytes: Uint8Array;
  envelopeId: Uint8Array;
  bundleId: string;
  signerKey: Uint8Array;
}

/** Encodes, checks and signs a header; a rule it breaks is the caller's mistake (INVALID_INPUT). */
export function signHeader(crypto: Nacl, init: HeaderInit, signSecret: Uint8Array): ParsedHeader {
  const headerBytes = darkroom.v1.Header.encode(init).finish();
  const header = darkroom.v1.Header.decode(headerBytes);
  const problem = headerProblem(header);
  if (problem) throw new BundleError('INVALID_INPUT', `Cannot seal: ${problem}`);
  const signature = signLabelled(crypto, 'bundle-header', headerBytes, signSecret);
  const signedHeaderBytes = darkroom.v1.SignedHeader.encode({ header: headerBytes, signature }).finish();
  return parsed(crypto, header, headerBytes, signedHeaderBytes);
}

/** Reads a SignedHeader: size, canonical encoding, field rules, signature. Does not decide trust. */
export function readHeader(signedHeaderBytes: Uint8Array, options: { crypto?: Nacl } = {}): ParsedHeader {
  const crypto = options.crypto ?? nacl;
  if (signedHeaderBytes.length > MAX_SIGNED_HEADER_BYTES) {
    throw new BundleError('HEADER_MALFORMED', `Signed header is ${signedHeaderBytes.length} bytes, over the limit of ${MAX_SIGNED_HEADER_BYTES}: refusing to parse it`);
  }
  const signed = decodeCanonical(darkroom.v1.SignedHeader, signedHeaderBytes, 'Signed header', 'HEADER_MALFORMED');
  const header = decodeCanonical(darkroom.v1.Header, signed.header, 'Header', 'HEADER_MALFORMED');
  const problem = headerProblem(header);
  if (problem) throw new BundleError('HEADER_MALFORMED', `Header refused: ${problem}`);
  if (signed.signature.length !== SIGNATURE_BYTES || !verifyLabelled(crypto, 'bundle-header', signed.header, signed.signature, header.signerSignKey)) {
    throw new BundleError('HEADER_SIGNATURE', `Header signature does not verify for signer '${header.signerName}': the header was altered after signing; refuse the envelope and fetch it again`);
  }
  return parsed(crypto, header, signed.header, signedHeaderBytes);
}

function parsed(crypto: Nacl, header: Header, headerBytes: Uint8Array, signedHeaderBytes: Uint8Array): ParsedHeader {
  const envelopeId = envelopeIdOf(crypto, headerBytes);
  return { header, headerBytes, signedHeaderBytes, envelopeId, bundleId: bundleIdOf(envelopeId), signerKey: header.signerSignKey };
}

const isCount = (value: unknown, max: number): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= max;

/** The first rule of docs/sealed-bundle.md "Header" this header breaks, or null. */
export function headerProblem(header: Header): string | null {
  if (header.format !== FORMAT_VERSION) return `format is ${header.format}, this version reads format ${FORMAT_VERSION} only`;
  if (header.kind !== SealedKind.BUNDLE && header.kind !== SealedKind.LOGS && header.kind !== SealedKind.RESULT_DETAILS) return `kind ${header.kind} is not BUNDLE, LOGS or RESULT_DETAILS`;
  if (header.salt.length !== SALT_BYTES) return `salt is ${header.salt.length} bytes, want ${SALT_BYTES}`;
  if (!isText(header.embargo)) return `embargo name '${header.embargo}' is empty, too long or has control characters`;
  if (!isText(header.signerName)) return `signer name '${header.signerName}' is empty, too long or has control characters`;
  if (header.signerSignKey.length !== SIGN_PUBLIC_BYTES) return `signer key is ${header.signerSignKey.length} bytes, want ${SIGN_PUBLIC_BYTES}`;
  if (header.chunkSize !== CHUNK_SIZE) return `chunk size is ${header.chunkSize}, format ${FORMAT_VERSION} fixes it at ${CHUNK_SIZE}`;
  if (header.keyCommitment.length !== KEY_COMMITMENT_BYTES) return `key commitment is ${header.keyCommitment.length} bytes, want ${KEY_COMMITMENT_BYTES}`;
  if (!isCount(header.createdAtMs, Number.MAX_SAFE_INTEGER) || header.createdAtMs === 0) return `creation time ${String(header.createdAtMs)} is not a positive millisecond count`;
  if (header.kind === SealedKind.BUNDLE) return bundleProblem(header);
  return header.kind === SealedKind.LOGS ? subjectProblem(header, 'logs', MAX_LOG_PAYLOAD_BYTES) : subjectProblem(header, 'result details', MAX_DETAILS_PAYLOAD_BYTES);
}

function bundleProblem(header: Header): string | null {
  if (!isCount(header.payloadBytes, MAX_BUNDLE_PAYLOAD_BYTES)) return `payload of ${String(header.payloadBytes)} bytes is over the bundle limit of ${MAX_BUNDLE_PAYLOAD_BYTES}`;
  if (header.subjectId !== '') return 'a bundle header names a subject id, which only logs carry';
  if (header.targets.length === 0 || header.targets.length > MAX_TARGETS) return `a bundle needs 1 to ${MAX_TARGETS} targets, this one has ${header.targets.length}`;
  const trees = new Set<string>();
  for (const target of header.targets) {
    const tree = target.tree ?? '';
    if (!isName(tree)) return `tree name '${tree}' does not match ^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$`;
    if (trees.has(tree)) return `tree '${tree}' is targeted twice`;
    trees.add(tree);
    if (!isRevision(target.base ?? '')) return `base '${target.base ?? ''}' of tree '${tree}' is not a plain git revision`;
    if (!isCount(target.patches, MAX_PATCHES_PER_TARGET) || target.patches === 0) return `tree '${tree}' has ${String(target.patches)} patches, want 1 to ${MAX_PATCHES_PER_TARGET}`;
  }
  if (header.workloads.length > MAX_WORKLOADS) return `${header.workloads.length} workloads, over the limit of ${MAX_WORKLOADS}`;
  const bad = header.workloads.find((name) => !isName(name));
  if (bad !== undefined) return `workload name '${bad}' does not match ^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$`;
  if (new Set(header.workloads).size !== header.workloads.length) return 'a workload is named twice';
  return logRecipientsProblem(header.logRecipients);
}

function logRecipientsProblem(recipients: darkroom.v1.LogRecipient.$Properties[]): string | null {
  if (recipients.length > MAX_LOG_RECIPIENTS) return `${recipients.length} log recipients, over the limit of ${MAX_LOG_RECIPIENTS}`;
  const keys = new Set<string>();
  for (const recipient of recipients) {
    const name = recipient.name ?? '';
    const key = recipient.boxKey ?? new Uint8Array();
    if (!isText(name)) return `log recipient name '${name}' is empty, too long or has control characters`;
    if (key.length !== BOX_PUBLIC_BYTES) return `log recipient '${name}' has a box key of ${key.length} bytes, want ${BOX_PUBLIC_BYTES}`;
    const hex = Buffer.from(key).toString('hex');
    if (keys.has(hex)) return `log recipient '${name}' repeats a box key`;
    keys.add(hex);
  }
  return null;
}

/** LOGS and RESULT_DETAILS: an agent's envelope about one job, sealed to maintainers. */
function subjectProblem(header: Header, what: string, maxPayload: number): string | null {
  if (!isCount(header.payloadBytes, maxPayload)) return `payload of ${String(header.payloadBytes)} bytes is over the ${what} limit of ${maxPayload}`;
  if (!isName(header.subjectId)) return `${what} subject (job id) '${header.subjectId}' does not match ^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$`;
  if (header.targets.length > 0 || header.workloads.length > 0 || header.logRecipients.length > 0) return `a ${what} header names targets, workloads or log recipients, which only bundles carry`;
  return null;
}
