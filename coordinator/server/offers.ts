// Dispatch over the wire: turns the store's offers into JobOffer pushes on an agent's open
// connections, and delivers the cancels the store has queued for it.
import { darkroom } from '../../proto/darkroom.js';
import type { Logger } from '../../shared/log.js';
import { barFromJson } from '../bar/format.js';
import type { Offer } from '../store/dispatch.js';
import type { Party } from '../store/parties.js';
import type { Store } from '../store/store.js';
import type { Registry } from './registry.js';

/** The JobOffer of a stored offer, with the embargo's current maintainers as trusted signers. */
export function jobOfferOf(store: Store, offer: Offer): darkroom.v1.JobOffer.$Properties {
  const embargo = store.embargoes.byName(offer.embargo);
  const maintainers = embargo ? store.embargoes.maintainersOf(embargo).filter((m) => m.revokedAt === null) : [];
  return {
    jobId: offer.jobId,
    bundleId: offer.bundleId,
    embargo: offer.embargo,
    tree: offer.tree,
    attempt: offer.attempt,
    header: offer.header,
    stanza: offer.stanza,
    payloadBytes: offer.payloadBytes,
    deadlineMs: offer.deadlineMs,
    workloads: offer.workloads,
    maintainers: maintainers.map((m) => ({ name: m.name, role: darkroom.v1.Role.ROLE_MAINTAINER, signKey: m.signKey, boxKey: m.boxKey, fingerprint: m.fingerprint })),
    runBase: embargo?.barJson ? barFromJson(embargo.barJson, embargo.name).noNewFailures : false,
  };
}

/**
 * Sends an agent its queued cancels, then its unanswered and new offers. Offers go to one open
 * connection of the agent (its newest); the store keeps them until answered, so a lost push is
 * resent on the next connect.
 */
export function offerToAgent(store: Store, registry: Registry, agent: Party, logger: Logger): void {
  const connections = registry.connections(agent.name).filter((c) => !c.channel.closed);
  const target = connections.at(-1);
  if (!target) return;
  const now = Date.now();
  for (const notice of store.jobs.pendingCancels(agent.id)) {
    for (const connection of connections) connection.channel.send({ cancel: { jobId: notice.jobId, attempt: notice.attempt, reason: notice.reason } });
    store.write(() => store.jobs.cancelDelivered(notice.jobId, now));
    logger.info({ agent: agent.name, jobId: notice.jobId, reason: notice.reason }, 'cancel sent');
  }
  const offers = [...store.dispatch.pendingOffers(agent, now), ...store.dispatch.offerNext(agent, now)];
  for (const offer of offers) {
    target.channel.send({ jobOffer: jobOfferOf(store, offer) });
    logger.info({ agent: agent.name, jobId: offer.jobId, bundle: offer.bundleId, tree: offer.tree, attempt: offer.attempt }, 'job offered');
  }
}
