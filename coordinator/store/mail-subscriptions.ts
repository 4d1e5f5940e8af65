// Maintainers' mail subscriptions: an address that hears of one embargo, one tree, or (neither
// named) every embargo the maintainer belongs to, now or later.
import type { AuditLog } from './audit.js';
import { inWrite, type Db } from './database.js';
import type { Embargo, Embargoes } from './embargoes.js';
import { StoreError } from './errors.js';
import { checkName } from './names.js';
import type { Party } from './parties.js';

/** RFC 5321 caps a forward path at 256 octets, so an address at 254. */
export const MAX_ADDRESS_LENGTH = 254;
const ADDRESS = /^[^\s@<>(),;:"\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

export interface MailSubscription {
  id: number;
  partyName: string;
  address: string;
  /** null with `tree` null: every embargo the maintainer belongs to. */
  embargo: string | null;
  tree: string | null;
  namesEmbargo: boolean;
}

interface RawMailSubscription {
  id: number;
  party_name: string;
  address: string;
  embargo: string | null;
  tree: string | null;
  names_embargo: number;
}

const SELECT = 'SELECT s.id, p.name AS party_name, s.address, e.name AS embargo, s.tree, s.names_embargo FROM mail_subscriptions s JOIN parties p ON p.id = s.party_id LEFT JOIN embargoes e ON e.id = s.embargo_id';

const fromRaw = (raw: RawMailSubscription): MailSubscription => ({
  id: raw.id,
  partyName: raw.party_name,
  address: raw.address,
  embargo: raw.embargo,
  tree: raw.tree,
  namesEmbargo: raw.names_embargo === 1,
});

/** A plain addr-spec (no display name), at most 254 characters; refused with what to give. */
export function checkAddress(address: string): string {
  const trimmed = address.trim();
  if (trimmed.length > MAX_ADDRESS_LENGTH || !ADDRESS.test(trimmed)) {
    throw new StoreError('SUBSCRIPTION_INVALID', `Mail address '${address}' is not a plain address: give one like mia@example.org (no display name, at most ${MAX_ADDRESS_LENGTH} characters)`);
  }
  return trimmed;
}

export type MailTarget = { embargo: string } | { tree: string } | { all: true };

export class MailSubscriptions {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #embargoes: Embargoes;
  readonly #find;
  readonly #insert;
  readonly #update;
  readonly #active;

  constructor(db: Db, audit: AuditLog, embargoes: Embargoes) {
    this.#db = db;
    this.#audit = audit;
    this.#embargoes = embargoes;
    this.#find = db.prepare<[number, string, number | null, string | null], { id: number }>('SELECT id FROM mail_subscriptions WHERE party_id = ? AND address = ? AND embargo_id IS ? AND tree IS ?');
    this.#insert = db.prepare('INSERT INTO mail_subscriptions (party_id, address, embargo_id, tree, names_embargo, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#update = db.prepare('UPDATE mail_subscriptions SET names_embargo = ? WHERE id = ?');
    this.#active = db.prepare<[], RawMailSubscription>(`${SELECT} WHERE p.revoked_at IS NULL AND p.role = 'maintainer' ORDER BY s.id`);
  }

  /** Subscribes an address of a maintainer; only maintainers of an embargo may name it. */
  add(party: Party, target: MailTarget, options: { address: string; namesEmbargo: boolean; now: number }): void {
    inWrite(this.#db, () => {
      if (party.role !== 'maintainer') throw new StoreError('SUBSCRIPTION_INVALID', `'${party.name}' is not a maintainer: only maintainers subscribe`);
      const address = checkAddress(options.address);
      let embargoId: number | null = null;
      if ('embargo' in target) {
        const embargo = this.#embargoes.require(target.embargo);
        if (!this.#embargoes.isMaintainerOf(party, embargo)) throw new StoreError('SUBSCRIPTION_INVALID', `'${party.name}' is not a maintainer of embargo '${embargo.name}'`);
        embargoId = embargo.id;
      }
      const tree = 'tree' in target ? checkName(target.tree, 'Tree') : null;
      const existing = this.#find.get(party.id, address, embargoId, tree);
      if (existing) this.#update.run(options.namesEmbargo ? 1 : 0, existing.id);
      else this.#insert.run(party.id, address, embargoId, tree, options.namesEmbargo ? 1 : 0, options.now);
      const subject = 'embargo' in target ? target.embargo : 'tree' in target ? `tree:${tree}` : 'all';
      this.#audit.append({ actor: party.name, action: 'subscription.mail', subject, details: { address, names_embargo: options.namesEmbargo } }, options.now);
    });
  }

  /**
   * The addresses that hear of a notification of `embargo` (and `tree`), one entry per address:
   * subscribers who maintain the embargo now, limited to `onlyParty` when given.
   */
  recipients(embargo: Embargo, options: { tree?: string; onlyParty?: string }): Array<{ address: string; namesEmbargo: boolean }> {
    const byAddress = new Map<string, boolean>();
    const maintainers = new Set(this.#embargoes.maintainersOf(embargo).map((party) => party.name));
    for (const sub of this.#active.all().map(fromRaw)) {
      if (!maintainers.has(sub.partyName) || (options.onlyParty !== undefined && sub.partyName !== options.onlyParty)) continue;
      const wanted = (sub.embargo === null && sub.tree === null) || sub.embargo === embargo.name || (options.tree !== undefined && options.tree !== '' && sub.tree === options.tree);
      if (wanted) byAddress.set(sub.address, (byAddress.get(sub.address) ?? false) || sub.namesEmbargo);
    }
    return [...byAddress].map(([address, namesEmbargo]) => ({ address, namesEmbargo }));
  }
}
