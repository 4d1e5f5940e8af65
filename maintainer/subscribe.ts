// Durable webhook subscriptions: the coordinator POSTs metadata-only notifications of the named
// embargoes (or all of the maintainer's) and trees to the URL until the subscription is removed.
import type { Channel } from '../transport/channel.js';
import { WireError } from '../shared/wire/errors.js';

export interface WebhookRequest {
  webhook: string;
  /** Embargo names; empty: every embargo the maintainer belongs to. */
  embargoes: string[];
  trees: string[];
}

/** Registers the webhook; returns the embargoes it covers. */
export async function subscribeWebhook(channel: Channel, request: WebhookRequest): Promise<string[]> {
  let url: URL;
  try {
    url = new URL(request.webhook);
  } catch {
    throw new WireError('BAD_REQUEST', `Webhook '${request.webhook}' is not a URL: give one like https://hooks.example.org/darkroom`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WireError('BAD_REQUEST', `Webhook '${request.webhook}' must be http:// or https://`);
  const all = request.embargoes.length === 0 && request.trees.length === 0;
  const reply = await channel.request({ subscribe: { all, embargoes: request.embargoes, trees: request.trees, webhook: url.toString() } });
  if (!reply.subscribed) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a subscription with '${reply.body}'`);
  return reply.subscribed.embargoes ?? [];
}
