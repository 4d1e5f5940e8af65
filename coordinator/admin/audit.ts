// `coordinator audit verify`: walk the chain in the database of a data directory.
import { DarkroomError } from '../../shared/errors.js';
import { verifyAuditChain, type AuditVerdict } from '../store/audit-verify.js';
import type { Store } from '../store/store.js';

export class AuditError extends DarkroomError<'AUDIT_BROKEN'> {}

/** The verdict of an intact chain; AUDIT_BROKEN naming the first bad row otherwise. */
export function assertAuditIntact(store: Store): AuditVerdict {
  const verdict = verifyAuditChain(store.audit.rows());
  if (verdict.problem) {
    throw new AuditError('AUDIT_BROKEN', `${verdict.problem.message}: ${verdict.checked} rows before it are intact; restore the database from a backup and investigate who had write access`);
  }
  return verdict;
}
