// Notifications: metadata-only events pushed at once to every subscribed maintainer connection,
// and POSTed to the webhooks maintainers registered. Only maintainers of the embargo hear of it.
import { darkroom } from '../../proto/darkroom.js';
import { messageOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { CoordinatorMetrics } from '../metrics/metrics.js';
import type { Store } from '../store/store.js';
import type { LiveSubscription, NotificationInit } from './hub.js';

export const WEBHOOK_TIMEOUT_MS = 5_000;

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

  constructor(store: Store, options: { logger: Logger; metrics: CoordinatorMetrics }) {
    this.#store = store;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
  }

  subscribe(subscription: LiveSubscription): void {
    this.#live.add(subscription);
    subscription.channel.onClose(() => this.#live.delete(subscription));
  }

  notify(notification: NotificationInit): void {
    const embargo = this.#store.embargoes.byName(notification.embargo);
    if (!embargo) return;
    const mayHear = (partyName: string) => {
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
    const hooks = [...this.#store.subscriptions.forEmbargo(notification.embargo), ...(notification.tree ? this.#store.subscriptions.forTree(notification.tree) : [])];
    const sent = new Set<string>();
    for (const sub of hooks) {
      if (!sub.webhook || sent.has(sub.webhook) || !mayHear(sub.partyName)) continue;
      sent.add(sub.webhook);
      this.#post(sub.webhook, webhookBody(notification));
    }
  }

  #post(url: string, body: string): void {
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) })
      .then((response) => {
        if (response.ok) this.#metrics.notificationSent('webhook');
        else this.#logger.warn({ url, status: response.status }, 'webhook refused the notification');
      })
      .catch((error: unknown) => this.#logger.warn({ url, err: messageOf(error) }, 'webhook unreachable; the notification is not retried'));
  }
}
