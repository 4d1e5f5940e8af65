// Walks the audit chain and names the first row that breaks it: edited, missing, reordered, relinked.
import { AUDIT_GENESIS, auditHash, type AuditRow } from './audit.js';

export type AuditProblemKind = 'edited' | 'gap' | 'reordered' | 'broken-link';

export interface AuditProblem {
  seq: number;
  kind: AuditProblemKind;
  message: string;
}

export interface AuditVerdict {
  /** Rows checked before the first problem (all rows when there is none). */
  checked: number;
  head: string | null;
  problem: AuditProblem | null;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Checks every link of the chain in storage order; stops at the first problem. */
export function verifyAuditChain(rows: Iterable<AuditRow>): AuditVerdict {
  const all = [...rows];
  const seqOfHash = new Map(all.map((row) => [hex(row.hash), row.seq]));
  let prevHash: Uint8Array = AUDIT_GENESIS;
  let expected = 1;
  for (const [index, row] of all.entries()) {
    const problem = checkRow(row, { expected, prevHash, seqOfHash });
    if (problem) return { checked: index, head: index > 0 ? hex(prevHash) : null, problem };
    prevHash = row.hash;
    expected = row.seq + 1;
  }
  return { checked: all.length, head: all.length > 0 ? hex(prevHash) : null, problem: null };
}

interface Expectation {
  expected: number;
  prevHash: Uint8Array;
  seqOfHash: Map<string, number>;
}

function checkRow(row: AuditRow, { expected, prevHash, seqOfHash }: Expectation): AuditProblem | null {
  if (row.seq > expected) {
    const missing = row.seq - 1 === expected ? `row ${expected} is` : `rows ${expected}-${row.seq - 1} are`;
    return { seq: expected, kind: 'gap', message: `Audit row ${expected} is missing: ${missing} deleted (next row present is ${row.seq})` };
  }
  if (row.seq < expected) {
    return { seq: row.seq, kind: 'reordered', message: `Audit row ${row.seq} appears after row ${expected - 1}: rows were reordered` };
  }
  if (!same(row.prevHash, prevHash)) {
    const linksTo = seqOfHash.get(hex(row.prevHash));
    if (linksTo !== undefined && linksTo !== row.seq - 1) {
      return { seq: row.seq, kind: 'reordered', message: `Audit row ${row.seq} links to row ${linksTo}, not to row ${row.seq - 1}: rows were reordered` };
    }
    return { seq: row.seq, kind: 'broken-link', message: `Audit row ${row.seq} does not link to row ${row.seq - 1}: row ${row.seq - 1} was rewritten or replaced` };
  }
  if (!same(auditHash(row.prevHash, row), row.hash)) {
    return { seq: row.seq, kind: 'edited', message: `Audit row ${row.seq} (${row.action} ${row.subject}) does not match its hash: its content was edited` };
  }
  return null;
}
