// The append-only, hash-chained audit log: who was given what, when, and who read which report.
import { hashLabelled, nacl } from '../../shared/crypto/index.js';
import { canonicalJson, type Json } from './canonical.js';
import { writeEpoch, type Db } from './database.js';

export const AUDIT_HASH_BYTES = 32;
const GENESIS = new Uint8Array(AUDIT_HASH_BYTES);
const encoder = new TextEncoder();

export type AuditAction =
  | 'party.enrolled'
  | 'party.revoked'
  | 'token.issued'
  | 'token.voided'
  | 'embargo.created'
  | 'embargo.withdrawn'
  | 'embargo.expired'
  | 'embargo.disclosed'
  | 'embargo.bar'
  | 'approvals.published'
  | 'bundle.accepted'
  | 'bundle.rewrapped'
  | 'jobs.offered'
  | 'job.cancelled'
  | 'result.accepted'
  | 'report.read'
  | 'subscription.added'
  | 'subscription.removed'
  | 'subscription.mail';

export interface AuditEntry {
  /** 'admin' for the CLI, 'coordinator' for the server's own decisions, else a party's name. */
  actor: string;
  action: AuditAction;
  /** What the entry is about: a party, embargo, bundle or job id. */
  subject: string;
  details?: { [key: string]: Json };
}

export interface AuditRow {
  seq: number;
  atMs: number;
  actor: string;
  action: string;
  subject: string;
  detailsJson: string;
  prevHash: Uint8Array;
  hash: Uint8Array;
}

/** SHA-512("darkroom/v1/audit\0" ‖ previous hash ‖ canonical row), first 32 bytes. */
export function auditHash(prevHash: Uint8Array, row: Omit<AuditRow, 'prevHash' | 'hash'>): Uint8Array {
  const content = canonicalJson([row.seq, row.atMs, row.actor, row.action, row.subject, row.detailsJson]);
  return hashLabelled(nacl, 'audit', prevHash, encoder.encode(content)).subarray(0, AUDIT_HASH_BYTES);
}

interface RawRow {
  seq: number;
  at_ms: number;
  actor: string;
  action: string;
  subject: string;
  details_json: string;
  prev_hash: Buffer;
  hash: Buffer;
}

const fromRaw = (raw: RawRow): AuditRow => ({
  seq: raw.seq,
  atMs: raw.at_ms,
  actor: raw.actor,
  action: raw.action,
  subject: raw.subject,
  detailsJson: raw.details_json,
  prevHash: raw.prev_hash,
  hash: raw.hash,
});

export class AuditLog {
  readonly #db: Db;
  readonly #last;
  readonly #insert;
  readonly #all;
  /** The newest row as this transaction last wrote it, and the write epoch it is valid in. */
  #head: { epoch: number; seq: number; hash: Uint8Array } | null = null;

  constructor(db: Db) {
    this.#db = db;
    this.#last = db.prepare<[], { seq: number; hash: Buffer }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    this.#insert = db.prepare('INSERT INTO audit (seq, at_ms, actor, action, subject, details_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.#all = db.prepare<[], RawRow>('SELECT * FROM audit ORDER BY rowid');
  }

  /**
   * Appends one entry. Call it inside the write transaction of the change it records, so the
   * change and its record commit together or not at all. The chain's head is read once per
   * transaction: later appends in it chain onto the row the previous one wrote, unless a
   * savepoint was rolled back since (see `writeEpoch`).
   */
  append(entry: AuditEntry, now: number): AuditRow {
    const epoch = writeEpoch(this.#db);
    const cached = this.#db.inTransaction && this.#head?.epoch === epoch ? this.#head : null;
    const last = cached ?? this.#last.get();
    const prevHash = last ? new Uint8Array(last.hash) : GENESIS;
    const row = { seq: (last?.seq ?? 0) + 1, atMs: now, actor: entry.actor, action: entry.action, subject: entry.subject, detailsJson: canonicalJson(entry.details ?? {}) };
    const hash = auditHash(prevHash, row);
    this.#insert.run(row.seq, row.atMs, row.actor, row.action, row.subject, row.detailsJson, prevHash, hash);
    this.#head = this.#db.inTransaction ? { epoch, seq: row.seq, hash } : null;
    return { ...row, prevHash, hash };
  }

  /** Every row in storage order (rowid), which is the order a verifier must walk. */
  *rows(): IterableIterator<AuditRow> {
    for (const raw of this.#all.iterate()) yield fromRaw(raw);
  }

  /** The hash of the newest row: worth recording elsewhere, since a truncated tail leaves no gap. */
  head(): { seq: number; hash: string } | null {
    const last = this.#last.get();
    return last ? { seq: last.seq, hash: Buffer.from(last.hash).toString('hex') } : null;
  }
}

export { GENESIS as AUDIT_GENESIS };
