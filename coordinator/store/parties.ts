// Enrolled parties: agents (testers' machines) and maintainers, their keys, groups and declarations.
import { fingerprint } from '../../shared/identity.js';
import type { AuditLog } from './audit.js';
import type { Db } from './database.js';
import { StoreError } from './errors.js';
import { checkName } from './names.js';

export type Role = 'agent' | 'maintainer';

export interface WorkloadDecl {
  name: string;
  format: string;
}

/** What an agent says about itself on enrolment and after every connect. */
export interface Declaration {
  /** The HardwareProfile as plain JSON (proto field names in camelCase). */
  profile: Record<string, unknown>;
  hardwareClass: string;
  trees: string[];
  workloads: WorkloadDecl[];
  concurrency: number;
  software?: string;
}

export interface Party {
  id: number;
  name: string;
  role: Role;
  signKey: Uint8Array;
  boxKey: Uint8Array;
  fingerprint: string;
  groups: string[];
  contact: string | null;
  declaration: Declaration | null;
  enrolledAt: number;
  lastSeenAt: number | null;
  connectedSince: number | null;
  revokedAt: number | null;
}

export interface NewParty {
  name: string;
  role: Role;
  signKey: Uint8Array;
  boxKey: Uint8Array;
  groups: string[];
  contact: string | null;
  declaration: Declaration | null;
}

/** An agent may run at most this many jobs at once, whatever it declares. */
export const MAX_CONCURRENCY = 64;

interface RawParty {
  id: number;
  name: string;
  role: Role;
  sign_key: Buffer;
  box_key: Buffer;
  fingerprint: string;
  groups_json: string;
  contact: string | null;
  declaration_json: string | null;
  enrolled_at: number;
  last_seen_at: number | null;
  connected_since: number | null;
  revoked_at: number | null;
}

const fromRaw = (raw: RawParty): Party => ({
  id: raw.id,
  name: raw.name,
  role: raw.role,
  signKey: new Uint8Array(raw.sign_key),
  boxKey: new Uint8Array(raw.box_key),
  fingerprint: raw.fingerprint,
  groups: JSON.parse(raw.groups_json) as string[],
  contact: raw.contact,
  declaration: raw.declaration_json === null ? null : (JSON.parse(raw.declaration_json) as Declaration),
  enrolledAt: raw.enrolled_at,
  lastSeenAt: raw.last_seen_at,
  connectedSince: raw.connected_since,
  revokedAt: raw.revoked_at,
});

/** Refuses a declaration the matcher could not use; names the bad field. */
export function checkDeclaration(declaration: Declaration): Declaration {
  const bad = (what: string) => new StoreError('DECLARATION_INVALID', `Agent declaration is invalid: ${what}`);
  if (!declaration.hardwareClass) throw bad('hardware class is empty; set hardware_class in the agent config');
  if (!Number.isInteger(declaration.concurrency) || declaration.concurrency < 1 || declaration.concurrency > MAX_CONCURRENCY) {
    throw bad(`concurrency ${declaration.concurrency} is not an integer from 1 to ${MAX_CONCURRENCY}`);
  }
  for (const tree of declaration.trees) checkName(tree, 'Tree');
  for (const workload of declaration.workloads) checkName(workload.name, 'Workload');
  return { ...declaration, trees: [...new Set(declaration.trees)] };
}

export class Parties {
  readonly #audit: AuditLog;
  readonly #byName;
  readonly #bySignKey;
  readonly #byBoxKey;
  readonly #byId;
  readonly #byNames;
  readonly #byIds;
  readonly #active;
  readonly #list;
  readonly #listRole;
  readonly #insert;
  readonly #declare;
  readonly #seen;
  readonly #connected;
  readonly #clearConnected;
  readonly #revoke;

  constructor(db: Db, audit: AuditLog) {
    this.#audit = audit;
    this.#byName = db.prepare<[string], RawParty>('SELECT * FROM parties WHERE name = ?');
    this.#bySignKey = db.prepare<[Uint8Array], RawParty>('SELECT * FROM parties WHERE sign_key = ?');
    this.#byBoxKey = db.prepare<[Uint8Array], RawParty>('SELECT * FROM parties WHERE box_key = ?');
    this.#byId = db.prepare<[number], RawParty>('SELECT * FROM parties WHERE id = ?');
    this.#byNames = db.prepare<[string], RawParty>('SELECT * FROM parties WHERE name IN (SELECT value FROM json_each(?))');
    this.#byIds = db.prepare<[string], RawParty>('SELECT * FROM parties WHERE id IN (SELECT value FROM json_each(?))');
    this.#active = db.prepare<[number], number>('SELECT 1 FROM parties WHERE id = ? AND revoked_at IS NULL').pluck();
    this.#list = db.prepare<[], RawParty>('SELECT * FROM parties ORDER BY role, name');
    this.#listRole = db.prepare<[Role], RawParty>('SELECT * FROM parties WHERE role = ? ORDER BY name');
    this.#insert = db.prepare('INSERT INTO parties (name, role, sign_key, box_key, fingerprint, groups_json, contact, declaration_json, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.#declare = db.prepare('UPDATE parties SET declaration_json = ? WHERE id = ?');
    this.#seen = db.prepare('UPDATE parties SET last_seen_at = ? WHERE id = ?');
    this.#connected = db.prepare('UPDATE parties SET connected_since = ?, last_seen_at = ? WHERE id = ?');
    this.#clearConnected = db.prepare('UPDATE parties SET connected_since = NULL WHERE connected_since IS NOT NULL');
    this.#revoke = db.prepare('UPDATE parties SET revoked_at = ?, connected_since = NULL WHERE id = ? AND revoked_at IS NULL');
  }

  byName(name: string): Party | null {
    const raw = this.#byName.get(name);
    return raw ? fromRaw(raw) : null;
  }

  /** The handshake's lookup: the party that enrolled this signing key, revoked or not. */
  bySignKey(signKey: Uint8Array): Party | null {
    const raw = this.#bySignKey.get(signKey);
    return raw ? fromRaw(raw) : null;
  }

  /** Whether the party is enrolled and not revoked: the per-message check, one integer read. */
  isActive(id: number): boolean {
    return this.#active.get(id) !== undefined;
  }

  byId(id: number): Party | null {
    const raw = this.#byId.get(id);
    return raw ? fromRaw(raw) : null;
  }

  /** The parties of these names, in no particular order, by one query; unknown names are left out. */
  byNames(names: readonly string[]): Party[] {
    return this.#byNames.all(JSON.stringify(names)).map(fromRaw);
  }

  /** The parties of these ids, in no particular order, by one query; unknown ids are left out. */
  byIds(ids: readonly number[]): Party[] {
    return this.#byIds.all(JSON.stringify(ids)).map(fromRaw);
  }

  /** Like byName, but a missing party is PARTY_UNKNOWN. */
  require(name: string): Party {
    const party = this.byName(name);
    if (!party) throw new StoreError('PARTY_UNKNOWN', `No party named '${name}' is enrolled: check the name with 'darkroom coordinator status'`);
    return party;
  }

  list(role?: Role): Party[] {
    return (role ? this.#listRole.all(role) : this.#list.all()).map(fromRaw);
  }

  /**
   * Inserts a party; only enrolment calls this, inside its transaction. Signing keys and box keys
   * are each unique across every party, agents and maintainers, revoked or not.
   */
  insert(party: NewParty, now: number): Party {
    checkName(party.name, 'Party name');
    if (this.#byName.get(party.name)) throw new StoreError('PARTY_EXISTS', `A party named '${party.name}' is already enrolled with other keys: enrol under another name`);
    const fresh = `make a fresh identity for '${party.name}' (move identity.key away) and enrol again with a new token`;
    if (this.#bySignKey.get(party.signKey)) throw new StoreError('KEY_TAKEN', `This signing key is already enrolled by another party: ${fresh}`);
    if (this.#byBoxKey.get(party.boxKey)) throw new StoreError('KEY_TAKEN', `This box key is already enrolled by another party: ${fresh}`);
    const declaration = party.declaration ? JSON.stringify(checkDeclaration(party.declaration)) : null;
    const print = fingerprint({ signKey: party.signKey, boxKey: party.boxKey });
    const info = this.#insert.run(party.name, party.role, party.signKey, party.boxKey, print, JSON.stringify(party.groups), party.contact, declaration, now);
    return this.byId(Number(info.lastInsertRowid))!;
  }

  /** Replaces an agent's declaration (sent after every Welcome). */
  declare(partyId: number, declaration: Declaration): void {
    this.#declare.run(JSON.stringify(checkDeclaration(declaration)), partyId);
  }

  touch(partyId: number, now: number): void {
    this.#seen.run(now, partyId);
  }

  /** Records that the server holds a connection of this party since `now` (status shows it). */
  connected(partyId: number, now: number): void {
    this.#connected.run(now, now, partyId);
  }

  /** Records that the party's last connection closed at `now`. */
  disconnected(partyId: number, now: number): void {
    this.#connected.run(null, now, partyId);
  }

  /** At server start: nothing is connected yet, whatever a crashed run left behind. */
  clearConnected(): number {
    return this.#clearConnected.run().changes;
  }

  /**
   * Revokes a party and records it. Its open jobs are cancelled by the caller in the same
   * transaction (see Store.revoke). Revoking twice is refused, so the audit log holds one entry.
   */
  markRevoked(name: string, { actor, now }: { actor: string; now: number }): Party {
    const party = this.require(name);
    if (party.revokedAt !== null) throw new StoreError('PARTY_REVOKED', `Party '${name}' was already revoked at ${new Date(party.revokedAt).toISOString()}`);
    this.#revoke.run(now, party.id);
    this.#audit.append({ actor, action: 'party.revoked', subject: name, details: { role: party.role, fingerprint: party.fingerprint } }, now);
    return { ...party, revokedAt: now, connectedSince: null };
  }
}
