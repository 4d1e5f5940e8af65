// Notifications: metadata-only events pushed at once to every subscribed maintainer connection,
// POSTed to the webhooks maintainers registered and queued as mail to subscribed addresses. Only
// maintainers of the embargo hear of it; of MAINTAINER_ADDED, only the maintainer added.
import { darkroom } from '../../proto/darkroom.js';
import { messageOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { CoordinatorMetrics } from '../metrics/metrics.js';
import type { Embargo } from '../store/embargoes.js';
import type { Notice } from '../store/mail-queue.js';
import type { Store } from '../store/store.js';
import type { LiveSubscription, NotificationInit } from './hub.js';
import type { Subscription } from '../store/subscriptions.js';
import { TurnMemo } from './turn-memo.js';
import { postWebhook, type WebhookPolicy } from './webhook-target.js';

export const WEBHOOK_TIMEOUT_MS = 5_000;

/** Kinds that are mailed: the ones a person acts on, not every job's progress or end. */
export const MAILED_KINDS: ReadonlySet<darkroom.v1.NotificationKind> = new Set([
  darkroom.v1.NotificationKind.BUNDLE_SUBMITTED,
  darkroom.v1.NotificationKind.BUNDLE_COMPLETE,
  darkroom.v1.NotificationKind.BAR_MET,
  darkroom.v1.NotificationKind.BAR_FAILED,
  darkroom.v1.NotificationKind.MAINTAINER_ADDED,
  darkroom.v1.NotificationKind.EMBARGO_WITHDRAWN,
  darkroom.v1.NotificationKind.EMBARGO_DISCLOSED,
]);

/** The webhook body: the notification's fields as JSON, kinds and statuses as words. */
export function webhookBody(notification: NotificationInit): string {
  const message = darkroom.v1.Notification.fromObject(darkroom.v1.Notification.toObject(darkroom.v1.Notification.create(notification)));
  return JSON.stringify(darkroom.v1.Notification.toObject(message, { enums: String, longs: Number, defaults: false }));
}

export class Notifier {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #metrics: CoordinatorMetrics;
  readonly #live = new Set<LiveSubscription>();
  readonly #webhooks: WebhookPolicy;
  readonly #mailQueued: () => void;
  /** Webhook subscriptions by embargo and tree: a turn's notifications (a burst of results) share one read. */
  readonly #hooks = new TurnMemo<string, Subscription[]>();

  /** `mailQueued` is called after mail was queued (the sender then looks at the queue). */
  constructor(store: Store, options: { logger: Logger; metrics: CoordinatorMetrics; mailQueued: () => void; webhooks?: WebhookPolicy }) {
    this.#store = store;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#mailQueued = options.mailQueued;
    this.#webhooks = options.webhooks ?? { allowPrivate: false };
  }

  subscribe(subscription: LiveSubscription): void {
    this.#live.add(subscription);
    subscription.channel.onClose(() => this.#live.delete(subscription));
  }

  notify(notification: NotificationInit): void {
    // Read only when someone may hear of it: a result nobody subscribed to costs no embargo read.
    let embargo: Embargo | null | undefined;
    const known = () => (embargo ??= this.#store.embargoes.byName(notification.embargo));
    const mayHear = (partyName: string) => {
      if (notification.maintainer && partyName !== notification.maintainer) return false;
      const embargo = known();
      if (!embargo) return false;
      const party = this.#store.parties.byName(partyName);
      return party !== null && party.revokedAt === null && this.#store.embargoes.isMaintainerOf(party, embargo);
    };
    for (const live of this.#live) {
      const wanted = live.bundleIds.has(notification.bundleId)
        || (live.embargoes === null ? live.bundleIds.size === 0 && live.trees.size === 0 : live.embargoes.has(notification.embargo))
        || (notification.tree ? live.trees.has(notification.tree) : false);
      if (wanted && !live.channel.closed && mayHear(live.partyName) && live.channel.send({ notification })) this.#metrics.notificationSent('live');
    }
    if (notification.kind === darkroom.v1.NotificationKind.JOB_PROGRESS) return;
    if (MAILED_KINDS.has(notification.kind) && known()) this.#queueMail(notification);
    const tree = notification.tree || null;
    const hooks = this.#hooks.get(`${notification.embargo}\0${tree ?? ''}`, () => this.#store.subscriptions.forEmbargoOrTree(notification.embargo, tree));
    const sent = new Set<string>();
    for (const sub of hooks) {
      if (!sub.webhook || sent.has(sub.webhook) || !mayHear(sub.partyName)) continue;
      sent.add(sub.webhook);
      this.#post(sub.webhook, webhookBody(notification));
    }
  }

  #queueMail(notification: NotificationInit): void {
    try {
      const added = this.#store.queueMail(JSON.parse(webhookBody(notification)) as Notice, { now: Date.now() });
      if (added > 0) this.#mailQueued();
    } catch (error) {
      this.#logger.error({ err: messageOf(error), kind: notification.kind }, 'queueing notification mail failed');
    }
  }

  #post(url: string, body: string): void {
    postWebhook(url, body, { policy: this.#webhooks, timeoutMs: WEBHOOK_TIMEOUT_MS })
      .then((status) => {
        if (status >= 200 && status < 300) this.#metrics.notificationSent('webhook');
        else this.#logger.warn({ url, status }, 'webhook refused the notification');
      })
      .catch((error: unknown) => this.#logger.warn({ url, err: messageOf(error) }, 'webhook unreachable; the notification is not retried'));
  }
}
