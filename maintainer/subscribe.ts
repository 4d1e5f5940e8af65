// Durable subscriptions: the coordinator POSTs metadata-only notifications of the named embargoes
// (or all of the maintainer's) and trees to a webhook, or mails them to an address, until removed.
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

export interface MailRequest {
  email: string;
  /** Embargo names; empty with no trees: every embargo the maintainer belongs to, now and later. */
  embargoes: string[];
  trees: string[];
  /** Name the embargo in the mails (off by default: an embargoed CVE id is itself a secret). */
  namesEmbargo: boolean;
}

/** Registers a mail address; returns the embargoes it covers now. */
export async function subscribeMail(channel: Channel, request: MailRequest): Promise<string[]> {
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(request.email)) throw new WireError('BAD_REQUEST', `'${request.email}' is not a mail address: give one like mia@example.org`);
  const all = request.embargoes.length === 0 && request.trees.length === 0;
  const reply = await channel.request({ subscribe: { all, embargoes: request.embargoes, trees: request.trees, email: request.email, mailNamesEmbargo: request.namesEmbargo } });
  if (!reply.subscribed) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a subscription with '${reply.body}'`);
  return reply.subscribed.embargoes ?? [];
}
