// The long-running loop that empties the mail queue: due mails go to the relay, each is marked
// sent only after the relay accepted it, a refused or unreachable relay is tried again later.
//
// Exactly once, as far as SMTP allows: a mail is marked sent in the store after the relay's
// "250 OK" and never sent again once marked; a restart sends every mail not yet marked. The one
// window left is a crash between the relay's acceptance and that commit (one fsync): the mail is
// then sent once more, with the same Message-ID, which receivers use to drop the copy.
import type { Transporter } from 'nodemailer';
import { messageOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { QueuedMail } from '../store/mail-queue.js';
import type { Store } from '../store/store.js';
import { afterFailure, DEFAULT_RETRY_POLICY, type RetryPolicy } from './backoff.js';
import { composeMail } from './compose.js';

/** Mails taken from the queue per pass. */
export const MAIL_BATCH = 200;
/** Longest sleep between looks at the queue (mail queued by an admin command in another process). */
export const MAIL_POLL_MS = 1_000;
/** The header naming the notification kind, for receivers' filters. */
export const KIND_HEADER = 'X-Darkroom-Notification';

export interface MailSenderOptions {
  store: Store;
  transport: Pick<Transporter, 'sendMail' | 'close'>;
  from: string;
  logger: Logger;
  policy?: RetryPolicy;
  /** Runs a store write; the coordinator groups them with other writes of the same turn. */
  commit?: <T>(work: () => T) => Promise<T>;
}

export class MailSender {
  readonly #options: MailSenderOptions;
  readonly #policy: RetryPolicy;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  #lastSuccess = 0;

  constructor(options: MailSenderOptions) {
    this.#options = options;
    this.#policy = options.policy ?? DEFAULT_RETRY_POLICY;
  }

  start(): void {
    this.wake();
  }

  /** Looks at the queue now (new mail was queued); a pass under way runs once more afterwards. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#running = this.#pass().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        this.wake();
      } else this.#sleep();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    this.#options.transport.close();
  }

  #sleep(): void {
    if (this.#stopped || !this.#options.store.db.open) return;
    const next = this.#options.store.mailQueue.nextDueAt();
    const delay = next === null ? MAIL_POLL_MS : Math.max(0, Math.min(MAIL_POLL_MS, next - Date.now()));
    this.#timer = setTimeout(() => this.wake(), delay);
    this.#timer.unref();
  }

  async #pass(): Promise<void> {
    const { store, logger } = this.#options;
    try {
      for (;;) {
        if (this.#stopped || !store.db.open) return;
        const due = store.mailQueue.due(Date.now(), MAIL_BATCH);
        if (due.length === 0) return;
        await Promise.all(due.map((mail) => this.#send(mail)));
        if (due.length < MAIL_BATCH) return;
      }
    } catch (error) {
      logger.error({ err: messageOf(error) }, `mail queue pass failed; will try again in ${MAIL_POLL_MS} ms`);
    }
  }

  async #send(mail: QueuedMail): Promise<void> {
    const { transport, from, logger } = this.#options;
    const composed = composeMail(mail, { from });
    try {
      await transport.sendMail({ from, to: mail.address, subject: composed.subject, text: composed.text, messageId: composed.messageId, date: new Date(mail.createdAt), headers: { [KIND_HEADER]: String(mail.notice.kind ?? '') } });
    } catch (error) {
      await this.#failed(mail, messageOf(error));
      return;
    }
    this.#lastSuccess = Date.now();
    await this.#write(() => this.#options.store.mailQueue.markSent(mail.id, Date.now()));
    logger.info({ mailId: mail.id, messageId: composed.messageId, kind: mail.notice.kind }, 'mail accepted by the relay');
  }

  async #failed(mail: QueuedMail, error: string): Promise<void> {
    const now = Date.now();
    const next = afterFailure(mail, { now, policy: this.#policy });
    const since = this.#lastSuccess ? `${Math.round((now - this.#lastSuccess) / 1000)} s ago` : 'never in this run';
    if (next === 'give-up') {
      await this.#write(() => this.#options.store.mailQueue.abandon(mail.id, { now, error }));
      this.#options.logger.error({ mailId: mail.id, attempts: mail.attempts + 1, err: error }, 'mail given up: the relay did not take it before the give-up time');
      return;
    }
    await this.#write(() => this.#options.store.mailQueue.retryAt(mail.id, { at: next.retryAt, error }));
    this.#options.logger.warn({ mailId: mail.id, attempts: mail.attempts + 1, err: error }, `relay did not take the mail; will try again in ${next.retryAt - now} ms; last success ${since}`);
  }

  #write(work: () => void): Promise<void> {
    if (!this.#options.store.db.open) return Promise.resolve();
    return this.#options.commit ? this.#options.commit(work) : Promise.resolve(this.#options.store.write(work));
  }
}
