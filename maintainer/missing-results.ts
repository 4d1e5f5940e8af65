// Which of a bundle's recipients have no verified result: checked against whom this home sealed the
// bundle to (its record, written at submit and rewrap), never against the coordinator's word, so a
// result the coordinator dropped or filtered out shows as missing. Pure.
import type { BundleRecord } from './home.js';
import type { VerifiedResult } from './trailers.js';

export interface RecipientCheck {
  /** False when this home holds no record of the bundle (it did not submit it): nothing to check against. */
  checked: boolean;
  /** Recipients with no verified result for the bundle, sorted. */
  withoutResult: string[];
}

/**
 * Recipients of `record` with no verified result of the bundle. A result counts for the agent its
 * signature names (the signature was verified against the key pinned for that name).
 */
export function checkRecipients(record: Pick<BundleRecord, 'bundleId' | 'recipients'> | null, verified: readonly VerifiedResult[]): RecipientCheck {
  if (!record) return { checked: false, withoutResult: [] };
  const reported = new Set(verified.filter((result) => result.parts.result.bundleId === record.bundleId).map((result) => result.parts.result.agentName));
  return { checked: true, withoutResult: record.recipients.filter((name) => !reported.has(name)).sort() };
}

/** The line `report` and `trailers` print for a check, or null when every recipient has a result. */
export function recipientCheckLine(check: RecipientCheck, bundleId: string): string | null {
  if (!check.checked) return `recipients not checked: this home has no record of whom bundle ${bundleId} was sealed to (only the submitting home has it)`;
  if (check.withoutResult.length === 0) return null;
  return `no signed result from ${check.withoutResult.join(', ')}, to whom bundle ${bundleId} was sealed: a result still running, cancelled, or dropped by the coordinator`;
}
