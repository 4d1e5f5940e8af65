// A maintainer's signed, versioned approval list (docs/trust.md): signing, and the reader's check.
import { darkroom } from '../proto/darkroom.js';
import { SIGNATURE_BYTES, nacl as defaultNacl, signLabelled, verifyLabelled, type Nacl } from './crypto/index.js';
import { DarkroomError, messageOf } from './errors.js';
import { fingerprint, type Identity } from './identity.js';

export type ApprovalsErrorCode = 'APPROVALS_MALFORMED' | 'APPROVALS_SIGNATURE';

export class ApprovalsError extends DarkroomError<ApprovalsErrorCode> {}

export type ApprovedRole = 'agent' | 'maintainer';

/** One party an approver vouches for: its name and the fingerprint checked outside the coordinator. */
export interface Approval {
  name: string;
  role: ApprovedRole;
  fingerprint: string;
}

/** A list whose signature was checked against the keys it names. */
export interface VerifiedApprovalList {
  approver: string;
  /** The fingerprint of the keys that signed it: the one a reader must have approved. */
  approverFingerprint: string;
  version: number;
  issuedAtMs: number;
  parties: Approval[];
}

const ROLES: Record<ApprovedRole, darkroom.v1.Role> = { agent: darkroom.v1.Role.ROLE_AGENT, maintainer: darkroom.v1.Role.ROLE_MAINTAINER };

function roleOf(role: darkroom.v1.Role): ApprovedRole | null {
  if (role === darkroom.v1.Role.ROLE_AGENT) return 'agent';
  if (role === darkroom.v1.Role.ROLE_MAINTAINER) return 'maintainer';
  return null;
}

/** Encodes and signs `parties` as version `version` of `identity`'s list; returns SignedApprovalList bytes. */
export function signApprovalList(identity: Identity, list: { approver: string; version: number; issuedAtMs: number; parties: readonly Approval[] }, nacl: Nacl = defaultNacl): Uint8Array {
  const bytes = darkroom.v1.ApprovalList.encode({
    approver: list.approver,
    approverSignKey: identity.signKey,
    approverBoxKey: identity.boxKey,
    version: list.version,
    issuedAtMs: list.issuedAtMs,
    parties: list.parties.map((party) => ({ name: party.name, role: ROLES[party.role], fingerprint: party.fingerprint })),
  }).finish();
  return darkroom.v1.SignedApprovalList.encode({ list: bytes, signature: signLabelled(nacl, 'approvals', bytes, identity.signSecret) }).finish();
}

/**
 * Decodes SignedApprovalList bytes and checks the signature against the approver's key inside;
 * who the approver is, and whether this reader approved it, is the caller's question.
 */
export function openApprovalList(signed: Uint8Array, nacl: Nacl = defaultNacl): VerifiedApprovalList {
  let outer: darkroom.v1.SignedApprovalList;
  let list: darkroom.v1.ApprovalList;
  try {
    outer = darkroom.v1.SignedApprovalList.decode(signed);
    list = darkroom.v1.ApprovalList.decode(outer.list);
  } catch (cause) {
    throw new ApprovalsError('APPROVALS_MALFORMED', `Approval list does not decode: ${messageOf(cause)}`, { cause });
  }
  if (outer.signature.length !== SIGNATURE_BYTES || list.approverSignKey.length !== 32 || list.approverBoxKey.length !== 32) {
    throw new ApprovalsError('APPROVALS_MALFORMED', `Approval list of '${list.approver}' lacks its signature or its approver's keys: ignored`);
  }
  if (!verifyLabelled(nacl, 'approvals', outer.list, outer.signature, list.approverSignKey)) {
    throw new ApprovalsError('APPROVALS_SIGNATURE', `Approval list of '${list.approver}' is not signed by the key it names: altered or forged; ignored`);
  }
  const parties: Approval[] = [];
  for (const party of list.parties) {
    const role = roleOf(party.role ?? darkroom.v1.Role.ROLE_UNSPECIFIED);
    if (role === null || !party.name || !party.fingerprint) throw new ApprovalsError('APPROVALS_MALFORMED', `Approval list of '${list.approver}' holds an entry without a name, role or fingerprint: ignored`);
    parties.push({ name: party.name, role, fingerprint: party.fingerprint });
  }
  return {
    approver: list.approver,
    approverFingerprint: fingerprint({ signKey: list.approverSignKey, boxKey: list.approverBoxKey }, nacl),
    version: Number(list.version),
    issuedAtMs: Number(list.issuedAtMs),
    parties,
  };
}
