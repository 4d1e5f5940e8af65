// The last quality-bar verdict judged for each bundle, so a change is notified once, restarts too.
import type { Db } from './database.js';

export type StoredVerdict = 'met' | 'pending' | 'failed';

export class BarVerdicts {
  readonly #get;
  readonly #upsert;

  constructor(db: Db) {
    this.#get = db.prepare<[string], { verdict: StoredVerdict }>('SELECT verdict FROM bar_verdicts WHERE bundle_id = ?');
    this.#upsert = db.prepare('INSERT INTO bar_verdicts (bundle_id, verdict, judged_at) VALUES (?, ?, ?) ON CONFLICT (bundle_id) DO UPDATE SET verdict = excluded.verdict, judged_at = excluded.judged_at');
  }

  get(bundleId: string): StoredVerdict | null {
    return this.#get.get(bundleId)?.verdict ?? null;
  }

  /** Records the verdict; returns the one recorded before (null for a bundle never judged). Call in a write transaction. */
  record(bundleId: string, verdict: StoredVerdict, now: number): StoredVerdict | null {
    const before = this.get(bundleId);
    if (before !== verdict) this.#upsert.run(bundleId, verdict, now);
    return before;
  }
}
