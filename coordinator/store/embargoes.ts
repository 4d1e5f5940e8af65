// Embargoes: a named disclosure window, the testers and maintainers it admits, its deadline.
import type { AuditLog } from './audit.js';
import type { Json } from './canonical.js';
import type { Db } from './database.js';
import { StoreError } from './errors.js';
import { isMember, parseMembers, type Members } from './members.js';
import { checkName } from './names.js';
import type { Parties, Party, Role } from './parties.js';

export type EmbargoState = 'active' | 'withdrawn' | 'disclosed' | 'expired';

export interface Embargo {
  id: number;
  name: string;
  testers: Members;
  maintainers: Members;
  untilMs: number;
  createdAt: number;
  withdrawnAt: number | null;
  /** When the server noticed the deadline had passed and cancelled the jobs. */
  expiredAt: number | null;
  /** When it was disclosed: by the administrator, or by the server at the disclosure date. */
  disclosedAt: number | null;
  /** The quality bar as validated JSON (coordinator/bar/format.ts), or null when it has none. */
  barJson: string | null;
}

export interface EmbargoRequest {
  name: string;
  /** "alice,@amd-lab": comma-separated party names and @groups. */
  testers: string;
  maintainers: string;
  /** An ISO 8601 date or date-time; a bare date means midnight UTC. */
  until: string;
}

interface RawEmbargo {
  id: number;
  name: string;
  testers_json: string;
  maintainers_json: string;
  until_ms: number;
  created_at: number;
  withdrawn_at: number | null;
  expired_at: number | null;
  disclosed_at: number | null;
  bar_json: string | null;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

const fromRaw = (raw: RawEmbargo): Embargo => ({
  id: raw.id,
  name: raw.name,
  testers: JSON.parse(raw.testers_json) as Members,
  maintainers: JSON.parse(raw.maintainers_json) as Members,
  untilMs: raw.until_ms,
  createdAt: raw.created_at,
  withdrawnAt: raw.withdrawn_at,
  expiredAt: raw.expired_at,
  disclosedAt: raw.disclosed_at,
  barJson: raw.bar_json,
});

/**
 * Withdrawn wins over disclosed, disclosed over expired; a deadline passed means not active even
 * before the server notices (and discloses it).
 */
export function embargoState(embargo: Embargo, now: number): EmbargoState {
  if (embargo.withdrawnAt !== null) return 'withdrawn';
  if (embargo.disclosedAt !== null) return 'disclosed';
  if (now >= embargo.untilMs || embargo.expiredAt !== null) return 'expired';
  return 'active';
}

/** Milliseconds of an ISO 8601 date or date-time (a bare date is midnight UTC); NaN otherwise. */
export function parseIsoDate(text: string): number {
  return ISO_DATE.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
}

/** Parses the deadline; names the input when it is not an ISO date or not in the future. */
export function parseUntil(until: string, now: number): number {
  const ms = parseIsoDate(until);
  if (Number.isNaN(ms)) throw new StoreError('EMBARGO_INVALID', `Deadline '${until}' is not an ISO 8601 date: use e.g. 2030-01-31 or 2030-01-31T12:00Z`);
  if (ms <= now) throw new StoreError('EMBARGO_INVALID', `Deadline '${until}' is not in the future: pick the planned disclosure date`);
  return ms;
}

export class Embargoes {
  readonly #audit: AuditLog;
  readonly #parties: Parties;
  readonly #insert;
  readonly #byName;
  readonly #byId;
  readonly #list;
  readonly #withdraw;
  readonly #expire;
  readonly #due;
  readonly #setBar;
  readonly #disclose;
  readonly #told;
  readonly #tell;

  constructor(db: Db, audit: AuditLog, parties: Parties) {
    this.#audit = audit;
    this.#parties = parties;
    this.#insert = db.prepare('INSERT INTO embargoes (name, testers_json, maintainers_json, until_ms, created_at) VALUES (?, ?, ?, ?, ?)');
    this.#byName = db.prepare<[string], RawEmbargo>('SELECT * FROM embargoes WHERE name = ?');
    this.#byId = db.prepare<[number], RawEmbargo>('SELECT * FROM embargoes WHERE id = ?');
    this.#list = db.prepare<[], RawEmbargo>('SELECT * FROM embargoes ORDER BY until_ms, name');
    this.#withdraw = db.prepare('UPDATE embargoes SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL');
    this.#expire = db.prepare('UPDATE embargoes SET expired_at = ? WHERE id = ?');
    this.#due = db.prepare<[number], RawEmbargo>('SELECT * FROM embargoes WHERE withdrawn_at IS NULL AND expired_at IS NULL AND disclosed_at IS NULL AND until_ms <= ?');
    this.#setBar = db.prepare('UPDATE embargoes SET bar_json = ? WHERE id = ?');
    this.#disclose = db.prepare('UPDATE embargoes SET disclosed_at = ? WHERE id = ? AND disclosed_at IS NULL AND withdrawn_at IS NULL');
    this.#told = db.prepare<[number], { party_id: number }>('SELECT party_id FROM embargo_maintainers_told WHERE embargo_id = ?');
    this.#tell = db.prepare('INSERT OR IGNORE INTO embargo_maintainers_told (embargo_id, party_id, told_at) VALUES (?, ?, ?)');
  }

  /** Creates an embargo; named parties must exist with the right role. Call in a write transaction. */
  create(request: EmbargoRequest, { actor, now }: { actor: string; now: number }): Embargo {
    checkName(request.name, 'Embargo name');
    if (this.#byName.get(request.name)) throw new StoreError('EMBARGO_EXISTS', `An embargo named '${request.name}' already exists: pick another name`);
    const testers = parseMembers(request.testers, 'testers');
    const maintainers = parseMembers(request.maintainers, 'maintainers');
    this.#checkNamed(testers, 'agent', 'testers');
    this.#checkNamed(maintainers, 'maintainer', 'maintainers');
    const untilMs = parseUntil(request.until, now);
    const info = this.#insert.run(request.name, JSON.stringify(testers), JSON.stringify(maintainers), untilMs, now);
    this.#audit.append({ actor, action: 'embargo.created', subject: request.name, details: { testers: { ...testers }, maintainers: { ...maintainers }, until_ms: untilMs } }, now);
    return fromRaw(this.#byId.get(Number(info.lastInsertRowid))!);
  }

  #checkNamed(members: Members, role: Role, what: string): void {
    for (const name of members.names) {
      const party = this.#parties.byName(name);
      if (!party) throw new StoreError('EMBARGO_INVALID', `The ${what} list names '${name}', who is not enrolled: enrol them first, or use an @group they will join`);
      if (party.role !== role) throw new StoreError('EMBARGO_INVALID', `The ${what} list names '${name}', who is enrolled as ${party.role === 'agent' ? 'a tester' : 'a maintainer'}: move them to the other list`);
    }
  }

  byName(name: string): Embargo | null {
    const raw = this.#byName.get(name);
    return raw ? fromRaw(raw) : null;
  }

  byId(id: number): Embargo | null {
    const raw = this.#byId.get(id);
    return raw ? fromRaw(raw) : null;
  }

  require(name: string): Embargo {
    const embargo = this.byName(name);
    if (!embargo) throw new StoreError('EMBARGO_UNKNOWN', `No embargo named '${name}': list them with 'darkroom coordinator embargo list'`);
    return embargo;
  }

  list(): Embargo[] {
    return this.#list.all().map(fromRaw);
  }

  /** Marks the embargo withdrawn; the caller cancels its jobs in the same transaction. */
  markWithdrawn(name: string, { actor, now }: { actor: string; now: number }): Embargo {
    const embargo = this.require(name);
    if (embargo.withdrawnAt !== null) throw new StoreError('EMBARGO_CLOSED', `Embargo '${name}' was already withdrawn at ${new Date(embargo.withdrawnAt).toISOString()}`);
    this.#withdraw.run(now, embargo.id);
    this.#audit.append({ actor, action: 'embargo.withdrawn', subject: name }, now);
    return { ...embargo, withdrawnAt: now };
  }

  /**
   * Marks the embargo disclosed (the caller cancels its jobs in the same transaction). A withdrawn
   * or already disclosed embargo is refused; `actor` 'coordinator' is the disclosure date passing.
   */
  markDisclosed(name: string, { actor, now }: { actor: string; now: number }): Embargo {
    const embargo = this.require(name);
    if (embargo.withdrawnAt !== null) throw new StoreError('EMBARGO_CLOSED', `Embargo '${name}' was withdrawn at ${new Date(embargo.withdrawnAt).toISOString()}: a withdrawn embargo is not disclosed`);
    if (embargo.disclosedAt !== null) throw new StoreError('EMBARGO_CLOSED', `Embargo '${name}' was already disclosed at ${new Date(embargo.disclosedAt).toISOString()}`);
    this.#disclose.run(now, embargo.id);
    this.#audit.append({ actor, action: 'embargo.disclosed', subject: name, details: { until_ms: embargo.untilMs } }, now);
    return { ...embargo, disclosedAt: now };
  }

  /**
   * Maintainers of an open embargo who have not been told they belong to it yet, recorded as told
   * now (call in a write transaction, with the mail that tells them).
   */
  takeUntoldMaintainers(embargo: Embargo, now: number): Party[] {
    const told = new Set(this.#told.all(embargo.id).map((row) => row.party_id));
    const fresh = this.maintainersOf(embargo).filter((party) => !told.has(party.id));
    for (const party of fresh) this.#tell.run(embargo.id, party.id, now);
    return fresh;
  }

  /** Sets or replaces the quality bar (validated JSON, see coordinator/bar/format.ts). Call in a write transaction. */
  setBar(name: string, barJson: string, { actor, now }: { actor: string; now: number }): Embargo {
    const embargo = this.require(name);
    this.#setBar.run(barJson, embargo.id);
    this.#audit.append({ actor, action: 'embargo.bar', subject: name, details: { bar: JSON.parse(barJson) as Json, replaced: embargo.barJson !== null } }, now);
    return { ...embargo, barJson };
  }

  /** Embargoes whose deadline has passed but that are not yet marked expired. */
  due(now: number): Embargo[] {
    return this.#due.all(now).map(fromRaw);
  }

  /** Marks a due embargo expired; the caller cancels its jobs in the same transaction. */
  markExpired(embargo: Embargo, now: number): void {
    this.#expire.run(now, embargo.id);
    this.#audit.append({ actor: 'coordinator', action: 'embargo.expired', subject: embargo.name, details: { until_ms: embargo.untilMs } }, now);
  }

  /** Non-revoked agents the embargo names or whose group it names. */
  eligibleTesters(embargo: Embargo): Party[] {
    return this.#parties.list('agent').filter((party) => isMember(embargo.testers, party));
  }

  /** Non-revoked maintainers of the embargo: who may submit, read reports and logs. */
  maintainersOf(embargo: Embargo): Party[] {
    return this.#parties.list('maintainer').filter((party) => isMember(embargo.maintainers, party));
  }

  isMaintainerOf(party: Party, embargo: Embargo): boolean {
    return party.role === 'maintainer' && isMember(embargo.maintainers, party);
  }

  isTesterOf(party: Party, embargo: Embargo): boolean {
    return party.role === 'agent' && isMember(embargo.testers, party);
  }
}
