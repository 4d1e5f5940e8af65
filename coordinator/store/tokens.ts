// One-time enrolment tokens: random, shown once, stored only as a hash, consumed atomically.
import { hashLabelled, nacl } from '../../shared/crypto/index.js';
import type { AuditLog } from './audit.js';
import type { Db } from './database.js';
import { StoreError } from './errors.js';
import { checkName } from './names.js';
import type { Role } from './parties.js';

export const TOKEN_PREFIX = 'drt1_';
/** 160 bits: far beyond guessing, even at millions of tries a second for the token's lifetime. */
export const TOKEN_RANDOM_BYTES = 20;
export const DEFAULT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
export const MAX_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export interface TokenGrant {
  role: Role;
  name: string;
  groups: string[];
  contact: string | null;
  expiresAt: number;
}

export interface IssueRequest {
  role: Role;
  name: string;
  groups?: string[];
  contact?: string | null;
  ttlMs?: number;
}

export interface IssuedToken {
  /** Shown once to the administrator; never stored. */
  token: string;
  expiresAt: number;
}

interface RawToken {
  role: Role;
  name: string;
  groups_json: string;
  contact: string | null;
  expires_at: number;
  used_at: number | null;
  used_by: number | null;
}

/** The stored form: hex of SHA-512("darkroom/v1/token\0" ‖ token text). */
export function tokenHash(token: string): string {
  return Buffer.from(hashLabelled(nacl, 'token', new TextEncoder().encode(token))).toString('hex');
}

function newToken(): string {
  return TOKEN_PREFIX + Buffer.from(nacl.randomBytes(TOKEN_RANDOM_BYTES)).toString('base64url');
}

export class Tokens {
  readonly #audit: AuditLog;
  readonly #insert;
  readonly #get;
  readonly #use;
  readonly #link;
  readonly #void;
  readonly #enrolled;

  constructor(db: Db, audit: AuditLog) {
    this.#audit = audit;
    this.#insert = db.prepare('INSERT INTO tokens (hash, role, name, groups_json, contact, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#get = db.prepare<[string], RawToken>('SELECT role, name, groups_json, contact, expires_at, used_at, used_by FROM tokens WHERE hash = ?');
    this.#use = db.prepare('UPDATE tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL');
    this.#void = db.prepare('UPDATE tokens SET used_at = ? WHERE name = ? AND used_at IS NULL');
    this.#link = db.prepare('UPDATE tokens SET used_by = ? WHERE hash = ?');
    this.#enrolled = db.prepare<[string], { id: number }>('SELECT id FROM parties WHERE name = ?');
  }

  /** Makes a token for one named party; call inside a write transaction. */
  issue(request: IssueRequest, now: number): IssuedToken {
    checkName(request.name, 'Party name');
    for (const group of request.groups ?? []) checkName(group, 'Group');
    const ttlMs = request.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
    if (!(ttlMs > 0 && ttlMs <= MAX_TOKEN_TTL_MS)) {
      throw new StoreError('TOKEN_INVALID', `Token lifetime ${ttlMs} ms is out of range: use a positive duration of at most ${MAX_TOKEN_TTL_MS / 86_400_000} days`);
    }
    if (this.#enrolled.get(request.name)) {
      throw new StoreError('PARTY_EXISTS', `A party named '${request.name}' is already enrolled: pick another name, or revoke and re-enrol under a new one`);
    }
    const token = newToken();
    const expiresAt = now + ttlMs;
    const groups = [...new Set(request.groups ?? [])];
    this.#insert.run(tokenHash(token), request.role, request.name, JSON.stringify(groups), request.contact ?? null, now, expiresAt);
    this.#audit.append({ actor: 'admin', action: 'token.issued', subject: request.name, details: { role: request.role, groups, expires_at: expiresAt } }, now);
    return { token, expiresAt };
  }

  /**
   * Marks the token used and returns what it grants. Call inside the write transaction that
   * creates the party (then `link` it), so a token is consumed exactly when a party is enrolled.
   * Unknown (or guessed), expired and used tokens are refused with distinct codes.
   */
  consume(token: string, now: number): TokenGrant {
    const hash = tokenHash(token);
    const raw = this.#get.get(hash);
    if (!raw) throw new StoreError('TOKEN_UNKNOWN', 'Enrolment token is not known to this coordinator: check it was copied whole, or ask the administrator for a new one');
    if (raw.used_at !== null) throw new StoreError('TOKEN_USED', `Enrolment token for '${raw.name}' was already used at ${new Date(raw.used_at).toISOString()}: ask the administrator for a new one`);
    if (now >= raw.expires_at) throw new StoreError('TOKEN_EXPIRED', `Enrolment token for '${raw.name}' expired at ${new Date(raw.expires_at).toISOString()}: ask the administrator for a new one`);
    if (this.#use.run(now, hash).changes !== 1) {
      throw new StoreError('TOKEN_USED', `Enrolment token for '${raw.name}' was used by another connection just now: ask the administrator for a new one`);
    }
    return grantOf(raw);
  }

  /** Records which party a consumed token enrolled. */
  link(token: string, partyId: number): void {
    this.#link.run(partyId, tokenHash(token));
  }

  /** Voids the unused tokens issued for a name (revoking someone not yet enrolled); returns how many. */
  voidUnused(name: string, { actor, now }: { actor: string; now: number }): number {
    const voided = this.#void.run(now, name).changes;
    if (voided > 0) this.#audit.append({ actor, action: 'token.voided', subject: name, details: { tokens: voided } }, now);
    return voided;
  }

  /** The party a used token enrolled, if any: lets a client that lost its EnrollResult retry. */
  enrolledBy(token: string): number | null {
    return this.#get.get(tokenHash(token))?.used_by ?? null;
  }
}

function grantOf(raw: RawToken): TokenGrant {
  return { role: raw.role, name: raw.name, groups: JSON.parse(raw.groups_json) as string[], contact: raw.contact, expiresAt: raw.expires_at };
}
