// The durable outbox of notification mail: one row per (event, address), kept until the relay
// accepted it (or it was given up), so a restart loses none and an event queued twice mails once.
import { randomBytes } from 'node:crypto';
import type { Db } from './database.js';

/**
 * A notification as mail carries it: the metadata-only fields of a webhook body (kind and status
 * as words), never patch, log or case text.
 */
export type Notice = Record<string, string | number>;

export interface QueuedMail {
  id: number;
  address: string;
  /** Stable per row: the Message-ID is made from it, so a resent mail is recognisable. */
  token: string;
  notice: Notice;
  namesEmbargo: boolean;
  createdAt: number;
  attempts: number;
}

export interface MailCounts {
  queued: number;
  sent: number;
  abandoned: number;
}

interface RawQueuedMail {
  id: number;
  address: string;
  token: string;
  notification_json: string;
  names_embargo: number;
  created_at: number;
  attempts: number;
}

const TOKEN_BYTES = 16;

/** What makes two notifications the same event: mailing it twice would say the same thing twice. */
export function eventKey(notice: Notice): string {
  return ['kind', 'embargo', 'bundleId', 'jobId', 'maintainer'].map((field) => String(notice[field] ?? '')).join('|');
}

export class MailQueue {
  readonly #insert;
  readonly #due;
  readonly #nextDue;
  readonly #sent;
  readonly #retry;
  readonly #abandon;
  readonly #counts;

  constructor(db: Db) {
    this.#insert = db.prepare('INSERT OR IGNORE INTO mail_queue (event_key, address, token, notification_json, names_embargo, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#due = db.prepare<[number, number], RawQueuedMail>('SELECT id, address, token, notification_json, names_embargo, created_at, attempts FROM mail_queue WHERE sent_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?');
    this.#nextDue = db.prepare<[], { at: number | null }>('SELECT min(next_attempt_at) AS at FROM mail_queue WHERE sent_at IS NULL AND abandoned_at IS NULL');
    this.#sent = db.prepare('UPDATE mail_queue SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ? AND sent_at IS NULL');
    this.#retry = db.prepare('UPDATE mail_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND sent_at IS NULL');
    this.#abandon = db.prepare('UPDATE mail_queue SET attempts = attempts + 1, abandoned_at = ?, last_error = ? WHERE id = ? AND sent_at IS NULL');
    this.#counts = db.prepare<[], { queued: number; sent: number; abandoned: number }>(
      'SELECT coalesce(sum(sent_at IS NULL AND abandoned_at IS NULL), 0) AS queued, coalesce(sum(sent_at IS NOT NULL), 0) AS sent, coalesce(sum(abandoned_at IS NOT NULL), 0) AS abandoned FROM mail_queue',
    );
  }

  /** Queues one mail per address; an event already queued for an address is not queued again. Returns the rows added. */
  enqueue(notice: Notice, recipients: ReadonlyArray<{ address: string; namesEmbargo: boolean }>, now: number): number {
    const key = eventKey(notice);
    const json = JSON.stringify(notice);
    let added = 0;
    for (const { address, namesEmbargo } of recipients) {
      added += this.#insert.run(key, address, randomBytes(TOKEN_BYTES).toString('hex'), json, namesEmbargo ? 1 : 0, now, now).changes;
    }
    return added;
  }

  /** Mails whose next attempt is due at `now`, oldest first. */
  due(now: number, limit: number): QueuedMail[] {
    return this.#due.all(now, limit).map((raw) => ({
      id: raw.id,
      address: raw.address,
      token: raw.token,
      notice: JSON.parse(raw.notification_json) as Notice,
      namesEmbargo: raw.names_embargo === 1,
      createdAt: raw.created_at,
      attempts: raw.attempts,
    }));
  }

  /** When the next unsent mail is due, or null when none waits. */
  nextDueAt(): number | null {
    return this.#nextDue.get()?.at ?? null;
  }

  markSent(id: number, now: number): void {
    this.#sent.run(now, id);
  }

  retryAt(id: number, options: { at: number; error: string }): void {
    this.#retry.run(options.at, options.error, id);
  }

  abandon(id: number, options: { now: number; error: string }): void {
    this.#abandon.run(options.now, options.error, id);
  }

  /** Waiting, sent and given-up mails: what a metrics exporter reads. */
  counts(): MailCounts {
    return this.#counts.get()!;
  }
}
