// `darkroom trust …`: approving a party in the home, signing the home's list, publishing it.
import { signApprovalList, type Approval } from '../shared/approvals.js';
import { normalizeFingerprint } from '../shared/identity.js';
import { WireError } from '../shared/wire/errors.js';
import type { MaintainerConnection } from './connection.js';
import type { MaintainerHome } from './home.js';
import { withApproval, withoutApproval, type TrustRecord } from './trust.js';

/** Signs the record's approvals as its current version, with the home's key. */
async function signed(home: MaintainerHome, record: TrustRecord): Promise<TrustRecord> {
  const [identity, settings] = await Promise.all([home.identity(), home.settings()]);
  const bytes = signApprovalList(identity, { approver: settings.name, version: record.version, issuedAtMs: Date.now(), parties: record.approved });
  return { ...record, signed: Buffer.from(bytes).toString('base64') };
}

/** Records this home's approval of each party (fingerprints as typed) and signs the new list once. */
export async function approveParties(home: MaintainerHome, approvals: readonly Approval[]): Promise<{ record: TrustRecord; changed: boolean }> {
  const now = new Date();
  const before = await home.trust();
  let record = before;
  let changed = false;
  for (const approval of approvals) {
    const step = withApproval(record, { ...approval, fingerprint: normalizeFingerprint(approval.fingerprint) }, now);
    record = step.record;
    changed ||= step.changed;
  }
  if (!changed) return { record, changed };
  const next = await signed(home, { ...record, version: before.version + 1 });
  await home.saveTrust(next);
  return { record: next, changed };
}

/** Withdraws this home's approval of `name` and signs the new list. */
export async function withdrawApproval(home: MaintainerHome, name: string): Promise<TrustRecord> {
  const next = await signed(home, withoutApproval(await home.trust(), name));
  await home.saveTrust(next);
  return next;
}

/** Hands the home's signed list to the coordinator, which keeps it for co-maintainers; notes the version published. */
export async function publishApprovals(home: MaintainerHome, connection: MaintainerConnection, record: TrustRecord): Promise<TrustRecord> {
  if (record.signed === null || record.published >= record.version) return record;
  const reply = await connection.channel.request({ approvalsPublish: { signed: Buffer.from(record.signed, 'base64') } });
  if (!reply.approvalsPublished) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered an approvals publish with '${reply.body}'`);
  const next = { ...record, published: record.version };
  await home.saveTrust(next);
  return next;
}
