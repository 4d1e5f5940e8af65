// Whom a maintainer trusts (docs/trust.md): its own approvals, the lists of co-maintainers it
// approved, and the review of a coordinator's recipient list against them. Pure: no I/O.
import { openApprovalList, type Approval, type ApprovedRole } from '../shared/approvals.js';
import { DarkroomError, messageOf } from '../shared/errors.js';
import type { ListedParty, RecipientList } from '../shared/recipients.js';

export type TrustErrorCode = 'KEY_CHANGED' | 'NOT_APPROVED' | 'TRUST_MALFORMED';

export class TrustError extends DarkroomError<TrustErrorCode> {}

/** A party this home approved, and when. */
export interface OwnApproval extends Approval {
  approvedAt: string;
}

/** What a home keeps in trust.json. */
export interface TrustRecord {
  /** Version of this home's own list; every change signs a higher one. */
  version: number;
  approved: OwnApproval[];
  /** This home's own list as last signed (SignedApprovalList, base64); what is published. */
  signed: string | null;
  /** The version the coordinator last accepted; below `version`, the list still has to be published. */
  published: number;
  /** The newest list seen from each co-maintainer this home approved, by approver fingerprint. */
  relayed: Record<string, { approver: string; version: number; signed: string }>;
}

export const EMPTY_TRUST: TrustRecord = { version: 0, approved: [], signed: null, published: 0, relayed: {} };

/** Who vouches for a key: "you", or the name of the co-maintainer whose list says so. */
export interface Voucher {
  fingerprint: string;
  by: string;
}

export const YOU = 'you';

/** The record with `approval` added (or its fingerprint replaced); `changed` is false when it was already there. */
export function withApproval(record: TrustRecord, approval: Approval, now: Date): { record: TrustRecord; changed: boolean } {
  const existing = record.approved.find((entry) => entry.role === approval.role && entry.name === approval.name);
  if (existing?.fingerprint === approval.fingerprint) return { record, changed: false };
  const approved = [...record.approved.filter((entry) => entry !== existing), { ...approval, approvedAt: now.toISOString() }];
  approved.sort((a, b) => a.role.localeCompare(b.role) || a.name.localeCompare(b.name));
  return { record: { ...record, approved, version: record.version + 1 }, changed: true };
}

/** The record without this home's approval of `name`. */
export function withoutApproval(record: TrustRecord, name: string): TrustRecord {
  const approved = record.approved.filter((entry) => entry.name !== name);
  if (approved.length === record.approved.length) throw new TrustError('NOT_APPROVED', `This home has not approved '${name}': see 'darkroom trust list'`);
  return { ...record, approved, version: record.version + 1 };
}

/** A relayed list this home did not use, and why. */
export interface RefusedList {
  approver: string;
  reason: string;
}

/**
 * Takes the co-maintainers' lists the coordinator relayed: only lists signed by a maintainer this
 * home approved count; one older than the newest seen from that approver is a replay and refused.
 */
export function acceptRelayed(record: TrustRecord, signedLists: readonly Uint8Array[]): { record: TrustRecord; refused: RefusedList[] } {
  const approvers = new Map(record.approved.filter((entry) => entry.role === 'maintainer').map((entry) => [entry.fingerprint, entry.name]));
  const refused: RefusedList[] = [];
  const opened = [];
  for (const signed of signedLists) {
    try {
      opened.push({ list: openApprovalList(signed), signed });
    } catch (error) {
      refused.push({ approver: 'unknown', reason: messageOf(error) });
    }
  }
  opened.sort((a, b) => b.list.version - a.list.version);
  const relayed = { ...record.relayed };
  for (const { list, signed } of opened) {
    const name = approvers.get(list.approverFingerprint);
    if (name === undefined) continue;
    const seen = relayed[list.approverFingerprint];
    if (seen && list.version < seen.version) {
      refused.push({ approver: name, reason: `Approval list of co-maintainer ${name} is version ${list.version}, older than version ${seen.version} already seen: an old list was replayed; its approvals were not used` });
      continue;
    }
    if (!seen || list.version > seen.version) relayed[list.approverFingerprint] = { approver: name, version: list.version, signed: Buffer.from(signed).toString('base64') };
  }
  return { record: { ...record, relayed }, refused };
}

/** Every voucher per role and name: this home's approval first, then each approved co-maintainer's. */
export function vouchers(record: TrustRecord): Map<string, Voucher[]> {
  const byKey = new Map<string, Voucher[]>();
  const add = (role: ApprovedRole, name: string, voucher: Voucher) => {
    const key = `${role}:${name}`;
    byKey.set(key, [...(byKey.get(key) ?? []), voucher]);
  };
  for (const entry of record.approved) add(entry.role, entry.name, { fingerprint: entry.fingerprint, by: YOU });
  const approvers = new Set(record.approved.filter((entry) => entry.role === 'maintainer').map((entry) => entry.fingerprint));
  for (const [approverFingerprint, seen] of Object.entries(record.relayed)) {
    if (!approvers.has(approverFingerprint)) continue;
    for (const party of openApprovalList(Buffer.from(seen.signed, 'base64')).parties) add(party.role, party.name, { fingerprint: party.fingerprint, by: seen.approver });
  }
  return byKey;
}

export interface ChangedKey {
  party: ListedParty;
  approved: string;
  by: string;
}

/** One role's parties of a recipient list, sorted by what this home may do with them. */
export interface RoleReview {
  /** Approved by this home, or by a co-maintainer it approved, with this very key. */
  approved: ListedParty[];
  /** No approval for this name and key: left out. */
  unapproved: ListedParty[];
  /** Approved with another key: refused. */
  changed: ChangedKey[];
}

export interface TrustReview {
  agents: RoleReview;
  maintainers: RoleReview;
}

function reviewRole(role: ApprovedRole, parties: readonly ListedParty[], known: Map<string, Voucher[]>): RoleReview {
  const review: RoleReview = { approved: [], unapproved: [], changed: [] };
  for (const party of parties) {
    const list = known.get(`${role}:${party.name}`) ?? [];
    const own = list.find((voucher) => voucher.by === YOU);
    const deciding = own ? [own] : list;
    if (deciding.some((voucher) => voucher.fingerprint === party.fingerprint)) review.approved.push(party);
    else if (deciding.length > 0) review.changed.push({ party, approved: deciding[0]!.fingerprint, by: deciding[0]!.by });
    else review.unapproved.push(party);
  }
  return review;
}

/**
 * Holds a verified recipient list to this home's trust. `self` (this home's own key) is never
 * reviewed: the submitter always reads its own logs, whatever the coordinator lists.
 */
export function reviewRecipients(list: RecipientList, record: TrustRecord, self: { fingerprint: string }): TrustReview {
  const known = vouchers(record);
  return {
    agents: reviewRole('agent', list.agents, known),
    maintainers: reviewRole('maintainer', list.maintainers.filter((maintainer) => maintainer.fingerprint !== self.fingerprint), known),
  };
}

/** The command that approves `party` with the key the coordinator listed (to run after checking it). */
export function approveCommand(role: ApprovedRole, party: { name: string; fingerprint: string }): string {
  return `darkroom trust ${role} ${party.name} --fingerprint ${party.fingerprint}`;
}
