// The coordinator's signed list of who a bundle may be sealed to: signing, and the maintainer's check.
// It is a proposal: the maintainer seals only to the parties it approved (docs/trust.md).
import { darkroom } from '../proto/darkroom.js';
import { SIGNATURE_BYTES, nacl as defaultNacl, signLabelled, verifyLabelled, type Nacl } from './crypto/index.js';
import { DarkroomError, messageOf } from './errors.js';
import { fingerprint, type PublicIdentity } from './identity.js';

export type RecipientsErrorCode = 'RECIPIENTS_MALFORMED' | 'RECIPIENTS_SIGNATURE' | 'RECIPIENTS_MISMATCH';

export class RecipientsError extends DarkroomError<RecipientsErrorCode> {}

/** A party the coordinator listed, with every field present. */
export interface ListedParty {
  name: string;
  signKey: Uint8Array;
  boxKey: Uint8Array;
  fingerprint: string;
  hardwareClass: string;
  trees: string[];
  workloads: string[];
}

/** A verified list: whom to seal to (agents) and whom logs are sealed to (maintainers). */
export interface RecipientList {
  embargo: string;
  issuedAtMs: number;
  untilMs: number;
  agents: ListedParty[];
  maintainers: ListedParty[];
  /** The maintainers' signed approval lists, relayed unread (shared/approvals.ts checks them). */
  approvalLists: Uint8Array[];
}

function listed(recipient: darkroom.v1.Recipient.$Properties): ListedParty {
  return {
    name: recipient.name ?? '',
    signKey: recipient.signKey ?? new Uint8Array(),
    boxKey: recipient.boxKey ?? new Uint8Array(),
    fingerprint: recipient.fingerprint ?? '',
    hardwareClass: recipient.hardwareClass ?? '',
    trees: recipient.trees ?? [],
    workloads: recipient.workloads ?? [],
  };
}

/** Encodes and signs a list with the coordinator's key (label "recipients"). */
export function signRecipientList(list: darkroom.v1.RecipientList.$Properties, signSecret: Uint8Array, nacl: Nacl = defaultNacl): darkroom.v1.SignedRecipients.$Properties {
  const bytes = darkroom.v1.RecipientList.encode(list).finish();
  return { list: bytes, signature: signLabelled(nacl, 'recipients', bytes, signSecret) };
}

export interface RecipientsExpectation {
  /** The coordinator's keys, proven against the pinned fingerprint in the handshake. */
  coordinator: PublicIdentity;
  embargo: string;
  /** The nonce the request carried; an old list replayed carries another. */
  nonce: Uint8Array;
  nacl?: Nacl;
}

/**
 * Checks the coordinator's signature, the echoed nonce and embargo, and that every recipient's
 * fingerprint is the one its keys give; returns the list. Any failure means: do not seal to it.
 */
export function verifySignedRecipients(signed: darkroom.v1.SignedRecipients.$Properties, expected: RecipientsExpectation): RecipientList {
  const nacl = expected.nacl ?? defaultNacl;
  const bytes = signed.list ?? new Uint8Array();
  const signature = signed.signature ?? new Uint8Array();
  if (bytes.length === 0 || signature.length !== SIGNATURE_BYTES) throw new RecipientsError('RECIPIENTS_MALFORMED', 'Recipient list lacks its list or its signature: the coordinator sent an incomplete answer; retry');
  if (!verifyLabelled(nacl, 'recipients', bytes, signature, expected.coordinator.signKey)) {
    throw new RecipientsError('RECIPIENTS_SIGNATURE', "Recipient list is not signed by the pinned coordinator's key: it was altered in transit or forged; nothing was sealed");
  }
  let list: darkroom.v1.RecipientList;
  try {
    list = darkroom.v1.RecipientList.decode(bytes);
  } catch (cause) {
    throw new RecipientsError('RECIPIENTS_MALFORMED', `Recipient list does not decode: ${messageOf(cause)}`, { cause });
  }
  if (!Buffer.from(list.nonce).equals(Buffer.from(expected.nonce))) {
    throw new RecipientsError('RECIPIENTS_MISMATCH', 'Recipient list answers another request (its nonce differs): an old list was replayed; nothing was sealed');
  }
  if (list.embargo !== expected.embargo) {
    throw new RecipientsError('RECIPIENTS_MISMATCH', `Recipient list is for embargo '${list.embargo}', not '${expected.embargo}': nothing was sealed`);
  }
  const verified: RecipientList = { embargo: list.embargo, issuedAtMs: Number(list.issuedAtMs), untilMs: Number(list.untilMs), agents: list.agents.map(listed), maintainers: list.maintainers.map(listed), approvalLists: list.approvalLists };
  for (const recipient of [...verified.agents, ...verified.maintainers]) {
    const actual = fingerprint(recipient, nacl);
    if (actual !== recipient.fingerprint) {
      throw new RecipientsError('RECIPIENTS_MALFORMED', `Recipient '${recipient.name}' is listed with fingerprint ${recipient.fingerprint}, but its keys give ${actual}: nothing was sealed`);
    }
  }
  return verified;
}
