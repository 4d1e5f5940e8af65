// Maintainers' subscriptions: notify me about an embargo or a tree, optionally through a webhook.
import type { AuditLog } from './audit.js';
import { inWrite, type Db } from './database.js';
import type { Embargoes } from './embargoes.js';
import { StoreError } from './errors.js';
import { checkName } from './names.js';
import type { Party } from './parties.js';

export type SubscriptionTarget = { embargo: string } | { tree: string };

export interface Subscription {
  id: number;
  partyId: number;
  partyName: string;
  embargo: string | null;
  tree: string | null;
  webhook: string | null;
  createdAt: number;
}

interface RawSubscription {
  id: number;
  party_id: number;
  party_name: string;
  embargo: string | null;
  tree: string | null;
  webhook: string | null;
  created_at: number;
}

const SELECT = 'SELECT s.id, s.party_id, p.name AS party_name, e.name AS embargo, s.tree, s.webhook, s.created_at FROM subscriptions s JOIN parties p ON p.id = s.party_id LEFT JOIN embargoes e ON e.id = s.embargo_id';

const fromRaw = (raw: RawSubscription): Subscription => ({
  id: raw.id,
  partyId: raw.party_id,
  partyName: raw.party_name,
  embargo: raw.embargo,
  tree: raw.tree,
  webhook: raw.webhook,
  createdAt: raw.created_at,
});

/** Only http(s) URLs are accepted as webhooks. */
export function checkWebhook(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreError('SUBSCRIPTION_INVALID', `Webhook '${url}' is not a URL: give an http:// or https:// address`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new StoreError('SUBSCRIPTION_INVALID', `Webhook '${url}' is not http(s): give an http:// or https:// address`);
  return parsed.toString();
}

export class Subscriptions {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #embargoes: Embargoes;
  readonly #insert;
  readonly #find;
  readonly #setWebhook;
  readonly #remove;
  readonly #ofParty;
  readonly #forEither;

  constructor(db: Db, audit: AuditLog, embargoes: Embargoes) {
    this.#db = db;
    this.#audit = audit;
    this.#embargoes = embargoes;
    this.#insert = db.prepare('INSERT INTO subscriptions (party_id, embargo_id, tree, webhook, created_at) VALUES (?, ?, ?, ?, ?)');
    this.#find = db.prepare<[number, number | null, string | null], { id: number }>('SELECT id FROM subscriptions WHERE party_id = ? AND embargo_id IS ? AND tree IS ?');
    this.#setWebhook = db.prepare('UPDATE subscriptions SET webhook = ? WHERE id = ?');
    this.#remove = db.prepare('DELETE FROM subscriptions WHERE id = ? AND party_id = ?');
    this.#ofParty = db.prepare<[number], RawSubscription>(`${SELECT} WHERE s.party_id = ? ORDER BY s.id`);
    this.#forEither = db.prepare<[string, string | null], RawSubscription>(`${SELECT} WHERE (e.name = ? OR s.tree = ?) AND p.revoked_at IS NULL`);
  }

  /** Subscribes a maintainer; only maintainers of an embargo may subscribe to it. */
  add(party: Party, target: SubscriptionTarget, options: { webhook?: string | null; now: number }): Subscription {
    return inWrite(this.#db, () => {
      if (party.role !== 'maintainer') throw new StoreError('SUBSCRIPTION_INVALID', `'${party.name}' is not a maintainer: only maintainers subscribe`);
      const webhook = options.webhook ? checkWebhook(options.webhook) : null;
      let embargoId: number | null = null;
      if ('embargo' in target) {
        const embargo = this.#embargoes.require(target.embargo);
        if (!this.#embargoes.isMaintainerOf(party, embargo)) throw new StoreError('SUBSCRIPTION_INVALID', `'${party.name}' is not a maintainer of embargo '${embargo.name}'`);
        embargoId = embargo.id;
      }
      const tree = 'tree' in target ? checkName(target.tree, 'Tree') : null;
      const existing = this.#find.get(party.id, embargoId, tree);
      if (existing) this.#setWebhook.run(webhook, existing.id);
      else this.#insert.run(party.id, embargoId, tree, webhook, options.now);
      this.#audit.append({ actor: party.name, action: 'subscription.added', subject: 'embargo' in target ? target.embargo : `tree:${tree}`, details: { webhook } }, options.now);
      const id = existing?.id ?? this.#find.get(party.id, embargoId, tree)!.id;
      return this.ofParty(party).find((sub) => sub.id === id)!;
    });
  }

  remove(party: Party, { subscriptionId, now }: { subscriptionId: number; now: number }): boolean {
    return inWrite(this.#db, () => {
      const removed = this.#remove.run(subscriptionId, party.id).changes === 1;
      if (removed) this.#audit.append({ actor: party.name, action: 'subscription.removed', subject: String(subscriptionId) }, now);
      return removed;
    });
  }

  ofParty(party: Party): Subscription[] {
    return this.#ofParty.all(party.id).map(fromRaw);
  }

  /**
   * Non-revoked subscribers to an embargo or (when given) a tree, by one query: what a notification
   * reads; the server still checks that embargo subscribers maintain it now.
   */
  forEmbargoOrTree(embargo: string, tree: string | null): Subscription[] {
    return this.#forEither.all(embargo, tree).map(fromRaw);
  }
}
