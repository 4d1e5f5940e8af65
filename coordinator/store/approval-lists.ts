// Each maintainer's newest signed approval list (docs/trust.md), kept as the bytes it sent: the
// coordinator relays them to co-maintainers and can neither read nor forge what they decide.
import { createHash } from 'node:crypto';
import type { AuditLog } from './audit.js';
import type { Db } from './database.js';
import type { Party } from './parties.js';

export class ApprovalLists {
  readonly #audit: AuditLog;
  readonly #get;
  readonly #upsert;

  constructor(db: Db, audit: AuditLog) {
    this.#audit = audit;
    this.#get = db.prepare<[number], { signed: Buffer }>('SELECT signed FROM approval_lists WHERE party_id = ?');
    this.#upsert = db.prepare('INSERT INTO approval_lists (party_id, signed, stored_at) VALUES (?, ?, ?) ON CONFLICT (party_id) DO UPDATE SET signed = excluded.signed, stored_at = excluded.stored_at');
  }

  /** The list `party` published last, or null. */
  of(party: Party): Uint8Array | null {
    const row = this.#get.get(party.id);
    return row ? new Uint8Array(row.signed) : null;
  }

  /** Keeps `signed` as the party's list, replacing the one before; audited with its hash. Call in a write transaction. */
  store(party: Party, signed: Uint8Array, now: number): void {
    this.#upsert.run(party.id, Buffer.from(signed), now);
    this.#audit.append({ actor: party.name, action: 'approvals.published', subject: party.name, details: { sha256: createHash('sha256').update(signed).digest('hex'), bytes: signed.length } }, now);
  }
}
